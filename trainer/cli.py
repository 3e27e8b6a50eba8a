"""Commands: `patentcl train`, `patentcl embed`, and `patentcl bench train|embed|write-back|index|compare`.

torch and sentence-transformers are imported inside the commands, so `patentcl --help` stays fast.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from patentcl.encoding import DEFAULT_SEPARATOR, TextFormat
from patentcl.errors import PatentclError
from patentcl.options import (
    backend_options,
    json_option,
    max_seq_length_option,
    option,
    recall_queries_option,
    rows_per_write_option,
    seed_option,
    text_format_option,
    texts_per_batch_option,
    triplets_option,
    triplets_per_batch_option,
)
from patentcl.output import print_rows, settings_of
from patentcl.samples import sample_csv
from patentcl.trainer.choices import (
    CODE_LEVEL_ALIASES,
    CODE_LEVELS,
    DEFAULT_BASE_MODEL,
    LOSSES,
    SAMPLERS,
    TRAIN_PRECISIONS,
)

if TYPE_CHECKING:
    from patentcl.trainer.losses import LossName
    from patentcl.trainer.train import Precision


def _echo_json_or(rows: list[dict[str, Any]] | dict[str, Any], as_json: bool, title: str) -> None:
    rows = rows if isinstance(rows, list) else [rows]
    print_rows([{k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()} for r in rows], as_json, title)


def _int_list(_ctx, _param, value: str | None) -> list[int] | None:
    if value is None:
        return None
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a comma-separated list of integers") from None


class _CodeLevel(click.Choice):
    """CODE_LEVELS, also accepting (without offering) their earlier spellings."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return super().convert(CODE_LEVEL_ALIASES.get(value, value), param, ctx)


def _training_options(func):
    """Options shared by `train` and `bench compare`."""
    options = [
        click.option(
            "--base-model",
            default=DEFAULT_BASE_MODEL,
            show_default=True,
            help="Hugging Face hub id or local sentence-transformers folder to start from.",
        ),
        text_format_option("title-abstract"),
        click.option(
            "--separator",
            default=DEFAULT_SEPARATOR,
            show_default=True,
            help="Between title and abstract (PatentCL used ' [SEP] ').",
        ),
        click.option(
            "--cpc-level",
            type=_CodeLevel(CODE_LEVELS),
            default="subgroup",
            show_default=True,
            help="Codes that make two patents neighbours for the CPC guards.",
        ),
        click.option("--epochs", type=float, default=1.0, show_default=True),
        click.option("--lr", "learning_rate", type=float, default=2e-5, show_default=True, help="Peak learning rate."),
        click.option(
            "--warmup-ratio",
            type=float,
            default=0.1,
            show_default=True,
            help="Share of the steps with a linear learning-rate warm-up.",
        ),
        triplets_per_batch_option,
        option(
            "--triplets-per-pass",
            "triplets_per_pass",
            aliases=("--mini-batch-size",),
            type=click.IntRange(1),
            default=32,
            show_default=True,
            help="cached-mnrl: triplets per forward pass (memory), independent of --triplets-per-batch.",
        ),
        max_seq_length_option(256),
        seed_option,
        click.option(
            "--precision",
            type=click.Choice(TRAIN_PRECISIONS),
            default="auto",
            show_default=True,
            help="auto: bf16 on GPUs that support it, else fp16; fp32 on the CPU.",
        ),
    ]
    for decorate in reversed(options):
        func = decorate(func)
    return func


def _config(**values: Any):
    from patentcl.encoding import TextSpec
    from patentcl.trainer.train import TrainConfig

    text = TextSpec(values.pop("text_format"), values.pop("separator"))
    return TrainConfig(
        text=text,
        batch_size=values.pop("triplets_per_batch"),
        mini_batch_size=values.pop("triplets_per_pass"),
        **values,
    )


def _codes_for(ctx: click.Context, triplets):
    from patentcl.graph import open_store
    from patentcl.trainer.cpc import codes_from_graph

    with open_store(settings_of(ctx)) as store:
        return codes_from_graph(store, triplets.patent_ids())


# -- patentcl train -----------------------------------------------------------------------------
@click.command("train")
@triplets_option("Folder written by `patentcl mine` (repeat to train on several).", several=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Folder for the trained model.")
@click.option(
    "--loss",
    type=click.Choice(LOSSES),
    default="mnrl",
    show_default=True,
    help="mnrl: in-batch and mined negatives; cached-mnrl: the same with GradCache for large "
    "batches; triplet: PatentCL's TripletLoss.",
)
@click.option(
    "--batch-sampler",
    type=click.Choice(SAMPLERS),
    default="no-duplicates",
    show_default=True,
    help="cpc-aware: no anchor meets a candidate sharing one of its codes in a batch.",
)
@click.option(
    "--cpc-mask/--no-cpc-mask",
    default=True,
    show_default=True,
    help="Mask in-batch candidates that share a CPC code with the anchor (mnrl, cached-mnrl).",
)
@_training_options
@click.option(
    "--eval-steps",
    type=int,
    default=500,
    show_default=True,
    help="Evaluate on the validation split and save a checkpoint every N steps.",
)
@click.option(
    "--early-stopping",
    type=int,
    default=None,
    help="Stop after N evaluations without a better validation accuracy (keeps the best).",
)
@click.option(
    "--keep-best-cpc",
    is_flag=True,
    help="Also score CPC kNN micro-F1 of the validation patents at each evaluation and save the "
    "best checkpoint by it (--early-stopping then watches it); needs the graph's CPC codes.",
)
@click.option("--max-steps", type=int, default=None, help="Stop after N optimizer steps (overrides --epochs).")
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its last checkpoint in --out.")
@json_option
@click.pass_context
def train_command(
    ctx: click.Context, /, triplets: tuple[Path, ...], out: Path, resume: bool, as_json: bool, **options: Any
) -> None:
    """Fine-tune a sentence-transformers model on mined triplets; writes the model with its card."""
    from patentcl.trainer.train import train
    from patentcl.triplets import read_triplets

    config = _config(**options)
    config.check()
    mined = read_triplets(list(triplets))
    codes = _codes_for(ctx, mined) if config.needs_codes else None
    result = train(config, mined, out, codes=codes, resume=resume)
    if as_json:
        click.echo(json.dumps(asdict(result), default=str))
        return
    shown = {k: v for k, v in result.metrics.items() if "accuracy" in k or k.endswith("loss")}
    click.echo(
        f"model saved to {result.model_dir} ({result.seconds:.0f} s on {result.device['name']}, "
        f"{result.triplets_per_second:.1f} triplets/s)"
    )
    for key, value in sorted(shown.items()):
        click.echo(f"  {key}: {value:.4f}")


# -- patentcl embed -----------------------------------------------------------------------------
def _index_options(func):
    from patentcl.graph.vector_index import IndexSettings

    d = IndexSettings()
    for decorate in reversed(
        [
            click.option("--m", type=int, default=d.m, show_default=True, help="HNSW links per node."),
            click.option(
                "--ef-construction",
                type=int,
                default=d.ef_construction,
                show_default=True,
                help="HNSW candidates while building.",
            ),
            click.option(
                "--ef-runtime",
                type=int,
                default=d.ef_runtime,
                show_default=True,
                help="HNSW candidates while searching (Neo4j: each search asks for at least this many).",
            ),
        ]
    ):
        func = decorate(func)
    return func


@click.command("embed")
@click.option("--model", "model_path", required=True, help="Trained model folder (or hub id) to encode with.")
@rows_per_write_option(512)
@texts_per_batch_option(None, default_help=" (default: 256 on a GPU, 32 on the CPU)", aliases=("--encode-batch-size",))
@text_format_option(None)
@max_seq_length_option(None)
@click.option(
    "--precision",
    type=click.Choice(TRAIN_PRECISIONS),
    default="auto",
    show_default=True,
    help="auto: fp16 on a GPU, fp32 on the CPU.",
)
@_index_options
@click.option("--reembed", is_flag=True, help="Replace another model's vectors (the index is rebuilt).")
@backend_options
@json_option
@click.pass_context
def embed_command(
    ctx: click.Context,
    model_path: str,
    rows_per_write: int,
    texts_per_batch: int | None,
    text_format: TextFormat | None,
    max_seq_length: int | None,
    precision: str,
    m: int,
    ef_construction: int,
    ef_runtime: int,
    reembed: bool,
    backend: str,
    onnx_file: str | None,
    as_json: bool,
) -> None:
    """Encode every patent without this model's vector, write the vectors, build the vector index."""
    from patentcl.encoding import TextSpec, open_model
    from patentcl.graph import open_store
    from patentcl.graph.vector_index import IndexSettings
    from patentcl.trainer.embed import embed_patents

    index = IndexSettings(m, ef_construction, ef_runtime)
    index.check()
    model = open_model(
        model_path,
        precision=precision,
        max_seq_length=max_seq_length,
        text=TextSpec(text_format) if text_format else None,
        backend=backend,
        onnx_file=onnx_file,
    )
    texts_per_batch = texts_per_batch or (256 if model.model.device.type == "cuda" else 32)
    with open_store(settings_of(ctx)) as store:
        result = embed_patents(
            store, model, index=index, batch_size=rows_per_write, encode_batch_size=texts_per_batch, reembed=reembed
        )
    if as_json:
        click.echo(
            json.dumps(
                {
                    **asdict(result),
                    "patents_per_second": result.patents_per_second,
                    "vectors_per_second_written": result.vectors_per_second_written,
                },
                default=str,
            )
        )
        return
    click.echo(
        f"{result.encoded:,} patents embedded with {result.model} in {result.seconds:.1f} s "
        f"({result.patents_per_second:,.0f} patents/s; encoding {result.encode_seconds:.1f} s, "
        f"graph writes {result.write_seconds:.1f} s = {result.vectors_per_second_written:,.0f} vectors/s)"
    )
    if result.index_seconds is not None:
        click.echo(f"vector index built in {result.index_seconds:.1f} s: {result.index}")
    elif result.index:
        click.echo(f"vector index kept: {result.index}")


# -- patentcl bench ... (commands of the shared `bench` group) ----------------------------------
def _bench_model(model: str | None, random_mpnet: bool, scratch: Path) -> str:
    from patentcl.trainer.bench import random_mpnet as make_random_mpnet

    if random_mpnet:
        return make_random_mpnet(model or DEFAULT_BASE_MODEL, scratch)
    if not model:
        raise click.UsageError("give --model (hub id or folder) or --random-mpnet")
    return model


def _sample_texts(path: Path, n: int) -> list[str]:
    import pandas as pd

    from patentcl.encoding import TextSpec

    if not path.exists():
        raise PatentclError(f"{path}: texts file not found (a CSV with title and abstract columns)")
    frame = pd.read_csv(path, usecols=["title", "abstract"])
    texts = [TextSpec().text(t, a) for t, a in zip(frame["title"], frame["abstract"])]
    return (texts * (n // len(texts) + 1))[:n]


_bench_model_options = [
    click.option("--model", default=None, help="Model (hub id or folder); with --random-mpnet, its tokenizer."),
    click.option(
        "--random-mpnet",
        is_flag=True,
        help="Randomly initialised MPNet-base (PatentSBERTa's shape), for throughput only.",
    ),
    click.option(
        "--texts",
        type=click.Path(path_type=Path),
        default=sample_csv(),
        show_default="the bundled sample",
        help="CSV with title and abstract columns to draw texts from.",
    ),
    max_seq_length_option(256),
    click.option("--precision", type=click.Choice(TRAIN_PRECISIONS), default="auto", show_default=True),
    json_option,
]


def _with(options):
    def apply(func):
        for decorate in reversed(options):
            func = decorate(func)
        return func

    return apply


@click.command("train")
@_with(_bench_model_options)
@click.option("--steps", type=int, default=20, show_default=True)
@triplets_per_batch_option
@click.option("--loss", type=click.Choice(LOSSES), default="mnrl", show_default=True)
def bench_train(
    model: str | None,
    random_mpnet: bool,
    texts: Path,
    max_seq_length: int,
    precision: Precision,
    as_json: bool,
    steps: int,
    triplets_per_batch: int,
    loss: LossName,
) -> None:
    """Training throughput (triplets/s) on random pairs of real patent texts."""
    from patentcl.trainer.bench import throughput_triplets
    from patentcl.trainer.train import TrainConfig, device_info, train

    with tempfile.TemporaryDirectory(prefix="patentcl-bench-") as scratch:
        base = _bench_model(model, random_mpnet, Path(scratch))
        triplets = throughput_triplets(_sample_texts(texts, 3000), steps * triplets_per_batch)
        config = TrainConfig(
            base_model=base,
            loss=loss,
            cpc_mask=False,
            batch_size=triplets_per_batch,
            max_seq_length=max_seq_length,
            precision=precision,
            eval_steps=10 * steps,
            max_steps=steps,
            warmup_ratio=0.0,
        )
        result = train(config, triplets, Path(scratch) / "model")
    _echo_json_or(
        {
            "model": "random MPNet-base" if random_mpnet else model,
            "loss": loss,
            "triplets_per_batch": triplets_per_batch,
            "max_seq_length": max_seq_length,
            "steps": steps,
            "triplets_per_second": result.triplets_per_second,
            "device": device_info()["name"],
        },
        as_json,
        "training throughput",
    )


@click.command("embed")
@_with(_bench_model_options)
@click.option("--patents", type=int, default=2000, show_default=True)
@texts_per_batch_option(128, aliases=("--batch-size",))
def bench_embed(
    model: str | None,
    random_mpnet: bool,
    texts: Path,
    max_seq_length: int,
    precision: str,
    as_json: bool,
    patents: int,
    texts_per_batch: int,
) -> None:
    """Encoding throughput (patents/s)."""
    from patentcl.encoding import open_model
    from patentcl.trainer.bench import bench_encode
    from patentcl.trainer.train import device_info

    with tempfile.TemporaryDirectory(prefix="patentcl-bench-") as scratch:
        encoder = open_model(
            _bench_model(model, random_mpnet, Path(scratch)), precision=precision, max_seq_length=max_seq_length
        )
        figures = bench_encode(encoder.model, _sample_texts(texts, patents), batch_size=texts_per_batch)
    _echo_json_or(
        {
            "model": "random MPNet-base" if random_mpnet else model,
            "max_seq_length": max_seq_length,
            "texts_per_batch": texts_per_batch,
            **figures,
            "device": device_info()["name"],
        },
        as_json,
        "encoding throughput",
    )


@click.command("write-back")
@click.option("--dimension", type=int, default=768, show_default=True)
@rows_per_write_option(1000)
@_index_options
@recall_queries_option(200)
@json_option
@click.pass_context
def bench_write_back(
    ctx: click.Context,
    dimension: int,
    rows_per_write: int,
    m: int,
    ef_construction: int,
    ef_runtime: int,
    recall_queries: int,
    as_json: bool,
) -> None:
    """Vector write-back rate and index build time on the configured graph (random vectors, removed after)."""
    import numpy as np

    from patentcl.graph import open_store
    from patentcl.graph.vector_index import IndexSettings, build_index, recall_at_k
    from patentcl.trainer.bench import random_vectors

    settings = IndexSettings(m, ef_construction, ef_runtime)
    settings.check()
    with (
        open_store(settings_of(ctx)) as store,
        random_vectors(store, dimension=dimension, batch_size=rows_per_write) as (ids, vectors, stats),
    ):
        seconds = build_index(store, dimension, settings)
        sample = np.random.default_rng(0).choice(len(ids), size=min(recall_queries, len(ids)), replace=False)
        recall = recall_at_k(store, ids, vectors, sample, k=10) if len(sample) else None
        engine = store.describe().version
    _echo_json_or(
        {
            "graph": engine,
            "vectors": len(ids),
            "dimension": dimension,
            "rows_per_write": rows_per_write,
            "vectors_per_second": stats.rows_per_second,
            "index_seconds": seconds,
            "recall_at_10": recall,
            "recall_queries": len(sample),
            "m": m,
            "ef_construction": ef_construction,
            "ef_runtime": ef_runtime,
        },
        as_json,
        "vector write-back",
    )


@click.command("index")
@click.option("--m", "ms", callback=_int_list, default="16", show_default=True, help="Comma-separated M values.")
@click.option("--ef-construction", "efcs", callback=_int_list, default="200", show_default=True)
@click.option("--ef-runtime", "efrs", callback=_int_list, default="10,20,50,100,200", show_default=True)
@click.option(
    "--random-dimension",
    type=int,
    default=None,
    help="Measure on random unit vectors of this dimension (written, then removed) instead of "
    "the graph's stored vectors.",
)
@click.option("--queries", type=int, default=200, show_default=True)
@json_option
@click.pass_context
def bench_index_command(
    ctx: click.Context,
    ms: list[int],
    efcs: list[int],
    efrs: list[int],
    random_dimension: int | None,
    queries: int,
    as_json: bool,
) -> None:
    """Recall@10 against exact search, build time and query latency per HNSW setting."""
    from contextlib import nullcontext

    from patentcl.graph import open_store
    from patentcl.graph.vector_index import IndexSettings, index_info, restore_index
    from patentcl.trainer.bench import bench_index, random_vectors, stored_model_vectors

    grid = [IndexSettings(m, efc, efr) for m in ms for efc in efcs for efr in efrs]
    for s in grid:
        s.check()
    with open_store(settings_of(ctx)) as store:
        before = index_info(store) if random_dimension is None else None
        source = (
            random_vectors(store, dimension=random_dimension)
            if random_dimension
            else nullcontext(stored_model_vectors(store))
        )
        with source as found:
            ids, vectors = found[0], found[1]
            rows = bench_index(store, ids, vectors, grid, queries=queries)
        if random_dimension is None:  # leave the index as the user had it
            restore_index(store, before, vectors.shape[1])
    _echo_json_or(
        [{"vectors": len(ids), "dimension": vectors.shape[1], **r} for r in rows], as_json, "vector index recall"
    )


@click.command("compare")
@triplets_option("Triplet folder(s) with train and test splits.", several=True)
@click.option(
    "--variants",
    default="mnrl,mnrl+cpc-sampler,mnrl+cpc-mask",
    show_default=True,
    help="Comma-separated: mnrl, mnrl+cpc-sampler, mnrl+cpc-mask, mnrl+cpc-sampler+cpc-mask.",
)
@_training_options
@click.option("--max-corpus", type=int, default=None, help="Training patents used as kNN corpus (all by default).")
@click.option("--max-queries", type=int, default=None, help="Held-out patents scored (all by default).")
@click.option(
    "--work",
    type=click.Path(path_type=Path),
    default=None,
    help="Keep the trained models here (default: a temporary folder).",
)
@json_option
@click.pass_context
def bench_compare(
    ctx: click.Context,
    /,
    triplets: tuple[Path, ...],
    variants: str,
    max_corpus: int | None,
    max_queries: int | None,
    work: Path | None,
    as_json: bool,
    **options: Any,
) -> None:
    """Which false-negative guard wins: kNN CPC micro-F1 on held-out patents and test triplet accuracy
    of the untrained model and of one model per variant, trained on the same triplets."""
    from patentcl.trainer.bench import compare_guards
    from patentcl.triplets import read_triplets

    config = _config(**options, eval_steps=10**9)
    config.check()
    mined = read_triplets(list(triplets))
    codes = _codes_for(ctx, mined)
    with tempfile.TemporaryDirectory(prefix="patentcl-compare-") as scratch:
        rows = compare_guards(
            mined,
            codes,
            config,
            [v.strip() for v in variants.split(",") if v.strip()],
            Path(work or scratch),
            max_corpus=max_corpus,
            max_queries=max_queries,
        )
    _echo_json_or(rows, as_json, "false-negative guards")
    if not as_json:
        click.echo(json.dumps({"config": config.as_dict(), "rows": len(mined["train"])}, default=str))


# Registered into the `patentcl bench` group (shared with search's `bench similar`) by patentcl/cli.py.
bench_commands = [bench_train, bench_embed, bench_write_back, bench_index_command, bench_compare]
