"""The command-line vocabulary: every option more than one command takes, defined once.

One name has one meaning in every command (tests/test_cli_vocabulary.py walks the command tree to
check it). A renamed option keeps its old spelling as a hidden alias: still accepted, not shown
in --help, so scripts written for the old name go on working.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
Decorator = Callable[[F], F]

# The one default seed: the same command line gives the same sample, triplets, model and figures.
DEFAULT_SEED = 42


class AliasedOption(click.Option):
    """An option that also answers to old spellings, which --help and error messages leave out."""

    def __init__(self, param_decls: list[str], *, hidden_aliases: tuple[str, ...] = (), **attrs: Any) -> None:
        super().__init__([*param_decls, *hidden_aliases], **attrs)
        self.hidden_aliases = hidden_aliases

    def _visible(self) -> list[str]:
        return [opt for opt in self.opts if opt not in self.hidden_aliases]

    def get_help_spec(self, ctx: click.Context) -> str:
        shown, self.opts = self.opts, self._visible()
        try:
            return super().get_help_spec(ctx)
        finally:
            self.opts = shown

    def get_error_hint(self, ctx: click.Context | None) -> str:
        return " / ".join(f"'{opt}'" for opt in self._visible())


def option(*param_decls: str, aliases: tuple[str, ...] = (), **attrs: Any) -> Decorator[Any]:
    """`click.option`, with `aliases`: old spellings accepted but hidden (see AliasedOption)."""
    if not aliases:
        return click.option(*param_decls, **attrs)
    return click.option(*param_decls, cls=AliasedOption, hidden_aliases=aliases, **attrs)


def hidden_alias(command: click.Command, name: str) -> click.Command:
    """`command` under an old name, left out of --help."""
    alias = copy.copy(command)
    alias.name, alias.hidden = name, True
    return alias


def options(*decorators: Decorator[Any]) -> Decorator[Any]:
    """Several options as one decorator, in the order --help shows them."""

    def apply(command: F) -> F:
        for decorate in reversed(decorators):
            command = decorate(command)
        return command

    return apply


# -- output ----------------------------------------------------------------------------------------
json_option = option(
    "--json", "as_json", is_flag=True, help="Print the result as JSON (rows: one JSON object per line) instead of text."
)

# -- reproducibility --------------------------------------------------------------------------------
seed_option = option(
    "--seed",
    type=int,
    default=DEFAULT_SEED,
    show_default=True,
    help="Seed of every random choice (sample, anchors, shuffles): the same seed, the same result.",
)


# -- graph neighbours ------------------------------------------------------------------------------
def neighbours_option(help: str) -> Decorator[Any]:
    """`--neighbours K`: how many nearest neighbours (of an embedding space) a command reads or writes."""
    return option("--neighbours", type=click.IntRange(1), default=50, show_default=True, help=help)


dimension_option = option(
    "--dimension",
    type=click.IntRange(1),
    default=128,
    show_default=True,
    help="Length of each graph-embedding vector (FastRP's embedding dimension).",
)
concurrency_option = option(
    "--concurrency",
    type=click.IntRange(1),
    default=4,
    show_default=True,
    help="Threads GDS computes with; fixed, so the same graph and seed give the same vectors.",
)

# -- which patents ---------------------------------------------------------------------------------
date_from_option = option(
    "--date-from",
    "date_from",
    aliases=("--from",),
    metavar="YYYY-MM-DD",
    help="Only patents dated on or after this day.",
)
date_to_option = option(
    "--date-to", "date_to", aliases=("--to",), metavar="YYYY-MM-DD", help="Only patents dated on or before this day."
)


# -- similarity ------------------------------------------------------------------------------------
graph_weight_option = option(
    "--graph-weight",
    "graph_weight",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    metavar="W",
    help="Rank by (1 - W) x text cosine + W x graph-embedding cosine (FastRP vectors from `patentcl graph-embed`, "
    "Neo4j with Graph Data Science); needs a PATENT, not a text. 0: text only.",
)


# -- the catalogue ---------------------------------------------------------------------------------
def query_version_option(*aliases: str, help: str = "Catalogue query version (default: newest).") -> Decorator[Any]:
    """`--query-version N`; `aliases` are a command's old spellings."""
    return option("--query-version", "query_version", aliases=aliases, type=click.IntRange(1), default=None, help=help)


# -- batch sizes, each named for what it counts -----------------------------------------------------
def rows_per_write_option(default: int | None, *, default_help: str = "") -> Decorator[Any]:
    """Rows (patents, vectors, CSV rows) per write transaction; `--batch-size` is its old spelling."""
    return option(
        "--rows-per-write",
        "rows_per_write",
        aliases=("--batch-size",),
        type=click.IntRange(1),
        default=default,
        show_default=default is not None,
        help="Rows written per transaction (export admin-import: per batch of CSV lines)" + default_help + ".",
    )


def recall_queries_option(default: int) -> Decorator[Any]:
    """How many lookups a benchmark also answers by the exact scan, for recall@10 (each scans every vector)."""
    return option(
        "--recall-queries",
        type=click.IntRange(0),
        default=default,
        show_default=True,
        help="Queries (per kind) whose answer is compared with the exact scan, which reads every vector.",
    )


def texts_per_batch_option(
    default: int | None, *, default_help: str = "", aliases: tuple[str, ...] = ()
) -> Decorator[Any]:
    """Texts per forward pass of the model (memory against speed)."""
    return option(
        "--texts-per-batch",
        "texts_per_batch",
        aliases=aliases,
        type=click.IntRange(1),
        default=default,
        show_default=default is not None,
        help="Texts per forward pass of the model" + default_help + ".",
    )


triplets_per_batch_option = option(
    "--triplets-per-batch",
    "triplets_per_batch",
    aliases=("--batch-size",),
    type=click.IntRange(1),
    default=32,
    show_default=True,
    help="Triplets per training step (per GPU); in-batch negatives come from the batch.",
)

anchors_per_query_option = option(
    "--anchors-per-query",
    "anchors_per_query",
    aliases=("--batch-size",),
    type=click.IntRange(1),
    default=1000,
    show_default=True,
    help="Anchors mined per query (and per checkpoint).",
)


def triplets_option(help: str, *, several: bool = False, required: bool = True) -> Decorator[Any]:
    """`--triplets`: the folder (`several`: folders, the option repeated) that `patentcl mine`
    wrote; `help` says what the command reads from it."""
    return option(
        "--triplets",
        "triplets",
        type=click.Path(path_type=Path, file_okay=False, exists=True),
        multiple=several,
        required=required,
        help=help,
    )


def triplet_count_option(default: int, minimum: int = 1) -> Decorator[Any]:
    """How many triplets a benchmark mines (`--triplets` names a triplet folder elsewhere)."""
    return option(
        "--triplet-count",
        "triplet_count",
        aliases=("--triplets",),
        type=click.IntRange(minimum),
        default=default,
        show_default=True,
        help="About how many triplets to mine.",
    )


def text_count_option(default: int, minimum: int = 1, maximum: int | None = None) -> Decorator[Any]:
    """How many texts a benchmark encodes (`--texts` names a CSV file elsewhere)."""
    return option(
        "--text-count",
        "text_count",
        aliases=("--texts",),
        type=click.IntRange(minimum, maximum),
        default=default,
        show_default=True,
        help="Texts to encode.",
    )


# -- models ----------------------------------------------------------------------------------------
def max_seq_length_option(default: int | None) -> Decorator[Any]:
    """Tokens read per text; longer texts are cut."""
    return option(
        "--max-seq-length",
        "max_seq_length",
        type=click.IntRange(8),
        default=default,
        show_default=default is not None,
        help="Tokens read per text" + ("" if default else " (default: the model's own)") + ".",
    )


def text_format_option(default: str | None) -> Decorator[Any]:
    """How a patent becomes the text a model reads (`--text` is a query text in similar and suggest-cpc)."""
    from patentcl.encoding import TEXT_FORMATS

    return option(
        "--text-format",
        "text_format",
        aliases=("--text",),
        type=click.Choice(TEXT_FORMATS),
        default=default,
        show_default=default is not None,
        help="Patent text: title, separator, abstract; or the abstract only"
        + ("." if default else " (default: the text the model was trained on, best left so)."),
    )


def backend_options(command: F) -> F:
    """`--backend torch|onnx` and `--onnx-file`, for the commands that encode text (embed, similar, suggest-cpc)."""
    command = click.option(
        "--onnx-file",
        default=None,
        help="File in MODEL/onnx/ for --backend onnx (default model.onnx; the int8 one is e.g. model_qint8_avx2.onnx).",
    )(command)
    return click.option(
        "--backend",
        type=click.Choice(["torch", "onnx"]),
        default="torch",
        show_default=True,
        help="onnx: ONNX Runtime on the CPU, from `patentcl export onnx MODEL`.",
    )(command)
