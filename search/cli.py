"""Commands: `patentcl similar`, `patentcl suggest-cpc`, `patentcl calibrate-cpc`, `patentcl serve`,
`patentcl bench similar`, `patentcl bench serve`, `patentcl bench hybrid-cpc`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from patentcl.errors import PatentclError
from patentcl.evaluators.votes import VOTE_LEVELS
from patentcl.graph import open_store
from patentcl.options import (
    backend_options,
    date_from_option,
    date_to_option,
    graph_weight_option,
    json_option,
    option,
    recall_queries_option,
    seed_option,
    triplets_option,
)
from patentcl.output import log, print_rows, settings_of
from patentcl.search.similar import (
    TEXT_HAS_NO_GRAPH_VECTOR,
    Filters,
    Hit,
    SearchError,
    browser_query,
    parse_cpc,
)
from patentcl.search.similar import similar as similar_lookup


def _query_text(text: str | None, file: Path | None) -> str | None:
    if text is not None and file is not None:
        raise click.UsageError("give --text or --file, not both")
    if file is None:
        return text
    try:
        return click.open_file(str(file), encoding="utf-8").read()
    except OSError as exc:
        raise PatentclError(f"{file}: cannot read the query text ({exc.strerror})") from None


def _query(
    store, patent: str | None, text: str | None, model: str | None, backend: str = "torch", onnx_file: str | None = None
) -> dict[str, Any]:
    """`patent=` or `vector=` for the lookup functions, from the command's arguments."""
    if (patent is None) == (text is None):
        raise click.UsageError("give a PATENT id, or a text with --text / --file (one of them)")
    if text is None:  # then the patent is given
        if model:
            raise click.UsageError("--model is for text queries; a patent's own vector is used for PATENT")
        return {"patent": patent}
    from patentcl.search.query_model import encode_query, query_model

    return {"vector": encode_query(query_model(store, model, backend=backend, onnx_file=onnx_file), text)}


_model_option = click.option(
    "--model", help="Model folder that made the graph's vectors (text queries; default: the one the graph recorded)."
)
_text_options = [
    click.option("--text", help="Search by this text (an abstract, a claim, a description)."),
    click.option(
        "--file",
        type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
        help="Search by the text in this file ('-': standard input).",
    ),
    _model_option,
]


def _with_text_options(command):
    for decorate in reversed(_text_options):
        command = decorate(command)
    return backend_options(command)


@click.command("similar")
@click.argument("patent", required=False)
@_with_text_options
@click.option("-k", "--k", "k", type=click.IntRange(1, 1000), default=10, show_default=True, help="Patents to return.")
@click.option("--cpc", help="Only patents with a CPC code starting with one of these prefixes, e.g. G06N,G06F16/.")
@click.option("--same-subclass", is_flag=True, help="Only patents sharing a CPC subclass (e.g. G06N) with PATENT.")
@click.option("--exclude-cited", is_flag=True, help="Leave out patents PATENT cites or is cited by.")
@date_from_option
@date_to_option
@click.option("--exact", is_flag=True, help="Exact scan instead of the vector index (slower; the reference).")
@graph_weight_option
@json_option
@click.option("--show-query", is_flag=True, help="Also print the Cypher and parameters, ready for Neo4j Browser.")
@click.pass_context
def similar(
    ctx: click.Context,
    patent: str | None,
    text: str | None,
    file: Path | None,
    model: str | None,
    backend: str,
    onnx_file: str | None,
    k: int,
    cpc: str | None,
    same_subclass: bool,
    exclude_cited: bool,
    date_from: str | None,
    date_to: str | None,
    exact: bool,
    graph_weight: float,
    as_json: bool,
    show_query: bool,
) -> None:
    """The patents most similar to PATENT (an id or number) or to a text, within CPC, citation and
    date limits. Scores are cosine similarities (1 = same direction); with --graph-weight W the
    score is (1 - W) x text cosine + W x graph cosine, both shown. --json prints the hits, how
    they were found and the query's provenance."""
    filters = Filters(parse_cpc(cpc), same_subclass, exclude_cited, date_from, date_to)
    if graph_weight > 0 and patent is None:
        raise SearchError(TEXT_HAS_NO_GRAPH_VECTOR)
    with open_store(settings_of(ctx)) as store:
        query = _query(store, patent, _query_text(text, file), model, backend, onnx_file)
        lookup = similar_lookup(store, k=k, filters=filters, exact=exact, graph_weight=graph_weight, **query)
        if show_query:
            click.echo(browser_query(store, lookup, query.get("vector")), err=True)
    if as_json:
        click.echo(json.dumps(lookup.as_dict(), ensure_ascii=False))
        return
    print_rows(
        [
            {
                "rank": i,
                **_scores(h),
                "id": h.id,
                "date": h.date or "",
                ("shared CPC" if patent else "CPC"): ", ".join(h.shared_codes if patent else h.codes[:6]),
                "title": h.title or "",
            }
            for i, h in enumerate(lookup.hits, 1)
        ],
        False,
        f"nearest to {lookup.anchor['id'] if lookup.anchor else 'the text'}",
    )
    how = (
        f"vector index, {lookup.fetched} candidates, {lookup.rounds} round{'s' if lookup.rounds != 1 else ''}"
        if lookup.method == "index"
        else f"exact hybrid scan (graph weight {graph_weight:g}) over the filtered patents holding both vectors"
        if lookup.method == "hybrid"
        else "exact scan over the filtered patents" + (f" after {lookup.rounds} index rounds" if lookup.rounds else "")
    )
    log("note", f"found by {how}; query {lookup.query['query']} v{lookup.query['version']}", style="dim")
    if len(lookup.hits) < k:
        log("warning", f"only {len(lookup.hits)} patents pass the filters", style="yellow")


def _scores(hit: Hit) -> dict[str, str]:
    """The score column, and with a hybrid lookup the two cosines it mixes."""
    if hit.graph_similarity is None or hit.text_similarity is None:
        return {"similarity": f"{hit.similarity:.4f}"}
    return {
        "score": f"{hit.similarity:.4f}",
        "text": f"{hit.text_similarity:.4f}",
        "graph": f"{hit.graph_similarity:.4f}",
    }


@click.command("suggest-cpc")
@click.argument("patent", required=False)
@_with_text_options
@option(
    "--cpc-level",
    "cpc_level",
    aliases=("--level",),
    type=click.Choice(VOTE_LEVELS),
    default="subgroup",
    show_default=True,
    help="CPC level to suggest.",
)
@click.option(
    "-k",
    "--k",
    "k",
    type=click.IntRange(1, 1000),
    default=None,
    help="Neighbours that vote (default: the calibrated value, else 10).",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1),
    default=None,
    help="Least vote share to suggest a code (default: the calibrated value, else 0.3).",
)
@graph_weight_option
@json_option
@click.pass_context
def suggest_cpc(
    ctx: click.Context,
    patent: str | None,
    text: str | None,
    file: Path | None,
    model: str | None,
    backend: str,
    onnx_file: str | None,
    cpc_level: str,
    k: int | None,
    threshold: float | None,
    graph_weight: float,
    as_json: bool,
) -> None:
    """CPC codes for PATENT or a text, voted by its nearest patents (similarity-weighted; with
    --graph-weight, hybrid-similarity neighbours vote with their hybrid scores)."""
    from patentcl.search.suggest import suggest_cpc as suggest

    if graph_weight > 0 and patent is None:
        raise SearchError(TEXT_HAS_NO_GRAPH_VECTOR)
    with open_store(settings_of(ctx)) as store:
        query = _query(store, patent, _query_text(text, file), model, backend, onnx_file)
        result = suggest(store, level=cpc_level, k=k, threshold=threshold, graph_weight=graph_weight, **query)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    print_rows(
        [
            {"code": s.code, "score": f"{s.score:.3f}", "votes": f"{s.votes}/{result.k}", "title": s.title or ""}
            for s in result.suggestions
        ],
        False,
        f"CPC {cpc_level} suggestions",
    )
    if result.cosines is not None:
        print_rows(
            [
                {"rank": i, "score": f"{score:.4f}", "text": f"{text_cos:.4f}", "graph": f"{graph_cos:.4f}", "id": pid}
                for i, ((pid, score), (text_cos, graph_cos)) in enumerate(zip(result.neighbours, result.cosines), 1)
            ],
            False,
            f"neighbours that voted (graph weight {result.graph_weight:g})",
        )
    source = "calibrated" if result.calibrated else "given or default (run `patentcl calibrate-cpc`)"
    log("note", f"k={result.k}, threshold={result.threshold:.2f}: {source}", style="dim")


@click.command("calibrate-cpc")
@triplets_option("Triplet folder from `patentcl mine`: its validation split's patents are used.")
@click.option(
    "--patents",
    type=click.IntRange(10, 100000),
    default=500,
    show_default=True,
    help="Validation patents to use at most.",
)
@click.option(
    "--model",
    type=click.Path(path_type=Path, file_okay=False),
    help="Model folder to store suggest_cpc.json in (it must be the model of the graph's vectors).",
)
@json_option
@click.pass_context
def calibrate_cpc(ctx: click.Context, triplets: Path, patents: int, model: Path | None, as_json: bool) -> None:
    """Choose suggest-cpc's k and threshold per CPC level on validation patents, and store them."""
    from patentcl.search.suggest import calibrate
    from patentcl.triplets import read_triplets

    validation = read_triplets(triplets)
    if not validation.has("validation"):
        raise PatentclError(f"{triplets}: no validation.parquet (or it is empty): nothing to calibrate on")
    ids = list(dict.fromkeys(validation["validation"]["anchor_id"]))[:patents]
    with open_store(settings_of(ctx)) as store:
        result = calibrate(store, ids, model_dir=model)
    print_rows(
        [
            {"level": level, **{key: round(v, 4) if isinstance(v, float) else v for key, v in point.items()}}
            for level, point in result["levels"].items()
        ],
        as_json,
        f"chosen on {result['validation_patents']} validation patents for {result['model']}",
    )


@click.command("similar")
@click.option("--queries", type=click.IntRange(1, 100000), default=500, show_default=True, help="Queries per kind.")
@click.option("-k", "--k", "k", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--model", help="Model that made the graph's vectors, for the text queries (default: the recorded one).")
@click.option("--cpc", default="G06N", show_default=True, help="CPC prefix filter of the filtered runs.")
@recall_queries_option(100)
@seed_option
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Also write the figures as JSON here.")
@json_option
@click.pass_context
def bench_similar(
    ctx: click.Context,
    queries: int,
    k: int,
    model: str | None,
    cpc: str,
    recall_queries: int,
    seed: int,
    out: Path | None,
    as_json: bool,
) -> None:
    """Lookup latency p50/p95 (by id, by text, with and without filters) and recall@k of the
    vector index against the exact scan."""
    from patentcl.search.bench import run_benchmark

    with open_store(settings_of(ctx)) as store:
        report = run_benchmark(
            store, queries=queries, k=k, model=model, cpc=parse_cpc(cpc), seed=seed, recall_queries=recall_queries
        )
    if out:
        out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    print_rows(report["rows"], False, report["title"])
    if out:
        click.echo(f"figures written to {out}")


def _weights(value: str) -> list[float]:
    try:
        weights = [float(w) for w in value.split(",") if w.strip()]
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a comma-separated list of numbers", param_hint="--graph-weights"
        ) from None
    if not weights or not all(0 <= w <= 1 for w in weights):
        raise click.BadParameter("graph weights are between 0 and 1, e.g. 0,0.25,0.5", param_hint="--graph-weights")
    return weights


@click.command("hybrid-cpc")
@triplets_option("Triplet folder from `patentcl mine`: its validation and test anchors are the held-out patents.")
@click.option(
    "--graph-weights",
    "graph_weights",
    default="0,0.25,0.5",
    show_default=True,
    help="Graph weights W to compare, comma-separated; margins are against the first.",
)
@click.option(
    "--patents",
    type=click.IntRange(10, 100000),
    default=300,
    show_default=True,
    help="Validation and test patents each, at most.",
)
@click.option(
    "--embed",
    is_flag=True,
    help="First re-run graph-embed leaving the measured patents' CLASSIFIED_AS edges out of the "
    "projection (without it, figures from vectors that saw them are marked leaky).",
)
@seed_option
@json_option
@click.pass_context
def bench_hybrid_cpc(
    ctx: click.Context, triplets: Path, graph_weights: str, patents: int, embed: bool, seed: int, as_json: bool
) -> None:
    """kNN CPC prediction micro/macro-F1 on held-out patents with hybrid-similarity neighbours at
    several graph weights (operating point chosen on validation patents; paired-bootstrap 95%
    intervals of the margin against the first weight). Needs Neo4j with Graph Data Science."""
    from patentcl.search.hybrid_cpc import measure
    from patentcl.triplets import read_triplets

    weights = _weights(graph_weights)
    found = read_triplets(triplets)
    held_out = {}
    for split in ("validation", "test"):
        if not found.has(split):
            raise PatentclError(f"{triplets}: no {split}.parquet (or it is empty): nothing to measure on")
        held_out[split] = list(dict.fromkeys(found[split]["anchor_id"]))[:patents]
    settings = settings_of(ctx)
    with open_store(settings) as store:
        report = measure(settings, store, held_out["validation"], held_out["test"], weights, embed=embed, seed=seed)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    print_rows(
        [
            {
                key: round(v, 4)
                if isinstance(v, float)
                else "[" + ", ".join(f"{x:+.4f}" for x in v) + "]"
                if isinstance(v, list)
                else v
                for key, v in row.items()
            }
            for row in report["rows"]
        ],
        False,
        report["title"],
    )
    if report["note"]:
        log("warning", report["note"], style="yellow")


_token_option = click.option(
    "--token",
    envvar="PATENTCL_TOKEN",
    show_envvar=True,
    help="Secret every request must carry (Authorization: Bearer TOKEN, or as the password the browser asks "
    "for); required to bind a non-loopback address.",
)


@click.command("serve")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind; anything but loopback needs --token."
)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@_model_option
@_token_option
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, model: str | None, token: str | None) -> None:
    """The web page and JSON API (OpenAPI at /docs): search, patent view, CPC suggestions."""
    import uvicorn

    from patentcl.search.web.app import create_app, open_backend
    from patentcl.search.web.serving import is_loopback

    if not is_loopback(host) and not token:
        raise click.UsageError(
            f"--host {host} is not a loopback address: give --token (or PATENTCL_TOKEN) "
            "so that only those who hold it can use the server"
        )
    settings = settings_of(ctx)
    with open_backend(settings, model) as backend:
        if backend.encoder_problem:
            log("warning", f"text search is off: {backend.encoder_problem}", style="yellow")
        log("serve", f"http://{host}:{port}/ (API docs at /docs); Ctrl-C stops it", style="dim")
        uvicorn.run(create_app(settings, token=token, backend=backend), host=host, port=port, log_level="warning")


@click.command("serve")
@click.option(
    "--requests",
    "requests",
    type=click.IntRange(10, 100000),
    default=200,
    show_default=True,
    help="Timed requests per kind and client count (after a warm-up).",
)
@click.option("--clients", default="1,8,32", show_default=True, help="Concurrent client counts, comma-separated.")
@click.option("-k", "--k", "k", type=click.IntRange(1, 100), default=10, show_default=True)
@_model_option
@seed_option
@json_option
@click.pass_context
def bench_serve(
    ctx: click.Context, requests: int, clients: str, k: int, model: str | None, seed: int, as_json: bool
) -> None:
    """/api/similar latency p50/p95 over HTTP on loopback, by id and by text, at several
    concurrent client counts (the server runs in its own process)."""
    from patentcl.search.web.serving import run_serve_benchmark

    try:
        counts = sorted({int(c) for c in clients.split(",") if c.strip()})
    except ValueError:
        raise click.BadParameter(
            f"{clients!r} is not a comma-separated list of numbers", param_hint="--clients"
        ) from None
    if not counts or not all(1 <= c <= 256 for c in counts):
        raise click.BadParameter("client counts are between 1 and 256", param_hint="--clients")
    report = run_serve_benchmark(settings_of(ctx), requests=requests, clients=counts, k=k, model=model, seed=seed)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    print_rows(report["rows"], False, report["title"])
