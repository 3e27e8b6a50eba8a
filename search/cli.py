"""Commands: `patentcl similar`, `patentcl suggest-cpc`, `patentcl calibrate-cpc`, `patentcl serve`,
`patentcl bench similar`, `patentcl bench serve`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from patentcl.cli import console, print_rows, settings_of
from patentcl.errors import PatentclError
from patentcl.graph import open_store
from patentcl.search.similar import Filters, browser_query, parse_cpc, similar as similar_lookup
from patentcl.search.votes import LEVELS
from patentcl.trainer.onnx_cli import backend_options


def _query_text(text: str | None, file: Path | None) -> str | None:
    if text is not None and file is not None:
        raise click.UsageError("give --text or --file, not both")
    if file is None:
        return text
    try:
        return click.open_file(str(file), encoding="utf-8").read()
    except OSError as exc:
        raise PatentclError(f"{file}: cannot read the query text ({exc.strerror})") from None


def _query(store, patent: str | None, text: str | None, model: str | None, backend: str = "torch",
           onnx_file: str | None = None) -> dict[str, Any]:
    """`patent=` or `vector=` for the lookup functions, from the command's arguments."""
    if (patent is None) == (text is None):
        raise click.UsageError("give a PATENT id, or a text with --text / --file (one of them)")
    if patent is not None:
        if model:
            raise click.UsageError("--model is for text queries; a patent's own vector is used for PATENT")
        return {"patent": patent}
    from patentcl.search.query_model import encode_query, query_model

    return {"vector": encode_query(query_model(store, model, backend=backend, onnx_file=onnx_file), text)}


_model_option = click.option("--model", help="Model folder that made the graph's vectors (text queries; default: "
                                           "the one the graph recorded).")
_text_options = [
    click.option("--text", help="Search by this text (an abstract, a claim, a description)."),
    click.option("--file", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
                 help="Search by the text in this file ('-': standard input)."),
    _model_option,
]


def _with_text_options(command):
    for option in reversed(_text_options):
        command = option(command)
    return backend_options(command)


@click.command("similar")
@click.argument("patent", required=False)
@_with_text_options
@click.option("-k", "--k", "k", type=click.IntRange(1, 1000), default=10, show_default=True, help="Patents to return.")
@click.option("--cpc", help="Only patents with a CPC code starting with one of these prefixes, e.g. G06N,G06F16/.")
@click.option("--same-subclass", is_flag=True, help="Only patents sharing a CPC subclass (e.g. G06N) with PATENT.")
@click.option("--exclude-cited", is_flag=True, help="Leave out patents PATENT cites or is cited by.")
@click.option("--date-from", help="Earliest date, YYYY-MM-DD.")
@click.option("--date-to", help="Latest date, YYYY-MM-DD.")
@click.option("--exact", is_flag=True, help="Exact scan instead of the vector index (slower; the reference).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: hits, how they were found, the query's provenance.")
@click.option("--show-query", is_flag=True, help="Also print the Cypher and parameters, ready for Neo4j Browser.")
@click.pass_context
def similar(ctx: click.Context, patent: str | None, text: str | None, file: Path | None, model: str | None,
            backend: str, onnx_file: str | None, k: int, cpc: str | None, same_subclass: bool, exclude_cited: bool,
            date_from: str | None, date_to: str | None, exact: bool, as_json: bool, show_query: bool) -> None:
    """The patents most similar to PATENT (an id or number) or to a text, within CPC, citation and
    date limits. Scores are cosine similarities (1 = same direction)."""
    filters = Filters(parse_cpc(cpc), same_subclass, exclude_cited, date_from, date_to)
    with open_store(settings_of(ctx)) as store:
        query = _query(store, patent, _query_text(text, file), model, backend, onnx_file)
        lookup = similar_lookup(store, k=k, filters=filters, exact=exact, **query)
        if show_query:
            click.echo(browser_query(store, lookup, query.get("vector")), err=True)
    if as_json:
        click.echo(json.dumps(lookup.as_dict(), ensure_ascii=False))
        return
    print_rows([{"rank": i, "similarity": f"{h.similarity:.4f}", "id": h.id, "date": h.date or "",
                 ("shared CPC" if patent else "CPC"): ", ".join(h.shared_codes if patent else h.codes[:6]),
                 "title": h.title or ""}
                for i, h in enumerate(lookup.hits, 1)], False,
               f"nearest to {lookup.anchor['id'] if lookup.anchor else 'the text'}")
    how = (f"vector index, {lookup.fetched} candidates, {lookup.rounds} round{'s' if lookup.rounds != 1 else ''}"
           if lookup.method == "index" else
           f"exact scan over the filtered patents{' after ' + str(lookup.rounds) + ' index rounds' if lookup.rounds else ''}")
    console.print(f"found by {how}; query {lookup.query['query']} v{lookup.query['version']}", style="dim")
    if len(lookup.hits) < k:
        console.print(f"only {len(lookup.hits)} patents pass the filters", style="yellow")


@click.command("suggest-cpc")
@click.argument("patent", required=False)
@_with_text_options
@click.option("--level", type=click.Choice(LEVELS), default="subgroup", show_default=True, help="CPC level to suggest.")
@click.option("-k", "--k", "k", type=click.IntRange(1, 1000), default=None,
              help="Neighbours that vote (default: the calibrated value, else 10).")
@click.option("--threshold", type=click.FloatRange(0, 1), default=None,
              help="Least vote share to suggest a code (default: the calibrated value, else 0.3).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def suggest_cpc(ctx: click.Context, patent: str | None, text: str | None, file: Path | None, model: str | None,
                backend: str, onnx_file: str | None, level: str, k: int | None, threshold: float | None,
                as_json: bool) -> None:
    """CPC codes for PATENT or a text, voted by its nearest patents (similarity-weighted)."""
    from patentcl.search.suggest import suggest_cpc as suggest

    with open_store(settings_of(ctx)) as store:
        query = _query(store, patent, _query_text(text, file), model, backend, onnx_file)
        result = suggest(store, level=level, k=k, threshold=threshold, **query)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    print_rows([{"code": s.code, "score": f"{s.score:.3f}", "votes": f"{s.votes}/{result.k}", "title": s.title or ""}
                for s in result.suggestions], False, f"CPC {level} suggestions")
    source = "calibrated" if result.calibrated else "given or default (run `patentcl calibrate-cpc`)"
    console.print(f"k={result.k}, threshold={result.threshold:.2f}: {source}", style="dim")


@click.command("calibrate-cpc")
@click.option("--triplets", "triplets", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Triplet folder from `patentcl mine`: its validation split's patents are used.")
@click.option("--patents", type=click.IntRange(10, 100000), default=500, show_default=True,
              help="Validation patents to use at most.")
@click.option("--model", type=click.Path(path_type=Path, file_okay=False),
              help="Model folder to store suggest_cpc.json in (it must be the model of the graph's vectors).")
@click.pass_context
def calibrate_cpc(ctx: click.Context, triplets: Path, patents: int, model: Path | None) -> None:
    """Choose suggest-cpc's k and threshold per CPC level on validation patents, and store them."""
    from patentcl.search.suggest import calibrate
    from patentcl.trainer.data import read_triplets

    validation = read_triplets(triplets)
    if not validation.has("validation"):
        raise PatentclError(f"{triplets}: no validation.parquet (or it is empty): nothing to calibrate on")
    ids = list(dict.fromkeys(validation["validation"]["anchor_id"]))[:patents]
    with open_store(settings_of(ctx)) as store:
        result = calibrate(store, ids, model_dir=model)
    print_rows([{"level": level, **{key: round(v, 4) if isinstance(v, float) else v for key, v in point.items()}}
                for level, point in result["levels"].items()], False,
               f"chosen on {result['validation_patents']} validation patents for {result['model']}")


@click.command("similar")
@click.option("--queries", type=click.IntRange(1, 100000), default=500, show_default=True, help="Queries per kind.")
@click.option("-k", "--k", "k", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--model", help="Model that made the graph's vectors, for the text queries (default: the recorded one).")
@click.option("--cpc", default="G06N", show_default=True, help="CPC prefix filter of the filtered runs.")
@click.option("--recall-queries", type=click.IntRange(0), default=100, show_default=True,
              help="Queries per kind whose answer is compared with the exact scan.")
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Also write the figures as JSON here.")
@click.pass_context
def bench_similar(ctx: click.Context, queries: int, k: int, model: str | None, cpc: str, recall_queries: int,
                  seed: int, out: Path | None) -> None:
    """Lookup latency p50/p95 (by id, by text, with and without filters) and recall@k of the
    vector index against the exact scan."""
    from patentcl.search.bench import run_benchmark

    with open_store(settings_of(ctx)) as store:
        report = run_benchmark(store, queries=queries, k=k, model=model, cpc=parse_cpc(cpc), seed=seed,
                               recall_queries=recall_queries)
    print_rows(report["rows"], False, report["title"])
    if out:
        out.write_text(json.dumps(report, indent=2), encoding="utf-8")
        click.echo(f"figures written to {out}")


_token_option = click.option(
    "--token", envvar="PATENTCL_TOKEN", show_envvar=True,
    help="Secret every request must carry (Authorization: Bearer TOKEN, or as the password the browser asks "
         "for); required to bind a non-loopback address.")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; anything but loopback needs --token.")
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
        raise click.UsageError(f"--host {host} is not a loopback address: give --token (or PATENTCL_TOKEN) "
                               "so that only those who hold it can use the server")
    settings = settings_of(ctx)
    with open_backend(settings, model) as backend:
        if backend.encoder_problem:
            console.print(f"text search is off: {backend.encoder_problem}", style="yellow")
        console.print(f"patentcl serve: http://{host}:{port}/ (API docs at /docs); Ctrl-C stops it", style="dim")
        uvicorn.run(create_app(settings, token=token, backend=backend), host=host, port=port, log_level="warning")


@click.command("serve")
@click.option("--requests", "requests", type=click.IntRange(10, 100000), default=200, show_default=True,
              help="Timed requests per kind and client count (after a warm-up).")
@click.option("--clients", default="1,8,32", show_default=True, help="Concurrent client counts, comma-separated.")
@click.option("-k", "--k", "k", type=click.IntRange(1, 100), default=10, show_default=True)
@_model_option
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_context
def bench_serve(ctx: click.Context, requests: int, clients: str, k: int, model: str | None, seed: int,
                as_json: bool) -> None:
    """/api/similar latency p50/p95 over HTTP on loopback, by id and by text, at several
    concurrent client counts (the server runs in its own process)."""
    from patentcl.search.web.serving import run_serve_benchmark

    try:
        counts = sorted({int(c) for c in clients.split(",") if c.strip()})
    except ValueError:
        raise click.BadParameter(f"{clients!r} is not a comma-separated list of numbers",
                                 param_hint="--clients") from None
    if not counts or not all(1 <= c <= 256 for c in counts):
        raise click.BadParameter("client counts are between 1 and 256", param_hint="--clients")
    report = run_serve_benchmark(settings_of(ctx), requests=requests, clients=counts, k=k, model=model, seed=seed)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    print_rows(report["rows"], False, report["title"])
