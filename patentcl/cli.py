"""The `patentcl` command line."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from patentcl import __version__
from patentcl.bench_engines import bench_engines
from patentcl.catalogue import DIALECTS, PORTABLE, Catalogue, Query, parameters_in
from patentcl.config import Settings, environment
from patentcl.errors import PatentclError
from patentcl.evaluation.cli import evaluate
from patentcl.graph import open_store
from patentcl.graph.servers import ENGINES, LocalServer, local_server
from patentcl.loaders.cli import bench_load, export, load
from patentcl.mining.cli import bench_mine_command, mine_command
from patentcl.options import (
    concurrency_option,
    dimension_option,
    hidden_alias,
    json_option,
    neighbours_option,
    query_version_option,
    seed_option,
)
from patentcl.output import print_rows, settings_of
from patentcl.quickstart import quickstart
from patentcl.search.cli import (
    bench_hybrid_cpc,
    bench_serve,
    bench_similar,
    calibrate_cpc,
    serve,
    similar,
    suggest_cpc,
)
from patentcl.trainer.cli import bench_commands, embed_command, train_command
from patentcl.trainer.onnx_cli import bench_onnx, export_onnx

_PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_params(pairs: Iterable[str]) -> dict[str, Any]:
    """`-p` values: `key=value` is always the string value (PatentsView ids are strings);
    `key:=json` is the JSON value (number, list, boolean, null, map). A key given twice, a bad
    name or bad JSON is a usage error naming the key."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        as_json = key.endswith(":")
        key = key.removesuffix(":")
        if not sep or not _PARAM_NAME.fullmatch(key):
            raise click.BadParameter(
                f"{pair!r} is not KEY=VALUE or KEY:=JSON with KEY a parameter name", param_hint="-p"
            )
        if key in params:
            raise click.BadParameter(f"{key} is given more than once", param_hint="-p")
        if not as_json:
            params[key] = raw
            continue
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise click.BadParameter(
                f"{key}:= takes JSON, and {raw!r} is not ({exc.msg}); for a string write {key}=VALUE", param_hint="-p"
            ) from None
    return params


@click.group()
@click.version_option(__version__, prog_name="patentcl")
@click.option(
    "--graph",
    "graph",
    default=None,
    help="embedded (default), falkor://host:port or a Neo4j URI (bolt://, neo4j://, neo4j+s://); "
    "default PATENTCL_GRAPH.",
)
@click.option(
    "--home",
    type=click.Path(path_type=Path),
    default=None,
    help="Project folder for the embedded graph and outputs; default PATENTCL_HOME or ./.patentcl.",
)
@click.pass_context
def main(ctx: click.Context, graph: str | None, home: Path | None) -> None:
    """patentcl: patents in a graph, hard-negative triplets mined in Cypher, tuned embeddings,
    graph-native similarity search."""
    ctx.obj = Settings.from_env(graph=graph, home=home)


# -- the servers patentcl runs itself -------------------------------------------------------------
@main.group()
def graph() -> None:
    """Start, stop and inspect the servers patentcl runs itself: the embedded FalkorDB (default)
    or a Neo4j 5.26 resolved from Maven Central (`--engine neo4j`, needs Java 17+ and Maven)."""


engine_option = click.option(
    "--engine",
    "-e",
    type=click.Choice(ENGINES),
    default="falkordb",
    show_default=True,
    help="falkordb: the embedded server of PATENTCL_GRAPH=embedded; neo4j: a local Neo4j under HOME/neo4j.",
)


def _server(ctx: click.Context, engine: str) -> LocalServer:
    return local_server(engine, settings_of(ctx), environment())  # Neo4j's memory settings may sit in .env


@graph.command("start")
@engine_option
@click.pass_context
def graph_start(ctx: click.Context, engine: str) -> None:
    """Start the server and keep it running until `patentcl graph stop`."""
    for line in _server(ctx, engine).start():
        click.echo(line)


@graph.command("stop")
@engine_option
@click.option(
    "--force", is_flag=True, help="Stop the embedded server even while other patentcl commands use it (they fail)."
)
@click.pass_context
def graph_stop(ctx: click.Context, engine: str, force: bool) -> None:
    """Stop the server (its data is saved first). The embedded server is not stopped while another
    patentcl command uses it, unless --force."""
    click.echo("stopped" if _server(ctx, engine).stop(force=force) else "not running")


@graph.command("admin", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED, required=True)
@click.pass_context
def graph_admin(ctx: click.Context, arguments: tuple[str, ...]) -> None:
    """Run `neo4j-admin ARGUMENTS` on the Neo4j of `graph start --engine neo4j`, from the same jars
    (e.g. `database import full ...` from `export admin-import`, with the server stopped)."""
    from patentcl.graph.neo4j_server import Neo4jServer

    done = Neo4jServer(settings_of(ctx).neo4j_dir, environment()).admin(list(arguments))
    click.echo(done.stdout, nl=False)
    click.echo(done.stderr, nl=False, err=True)
    sys.exit(done.returncode)


@graph.command("status")
@engine_option
@json_option
@click.pass_context
def graph_status(ctx: click.Context, engine: str, as_json: bool) -> None:
    """Is the server running, where, and who uses it."""
    state, lines = _server(ctx, engine).status()
    if as_json:
        click.echo(json.dumps(state))
        return
    for line in lines:
        click.echo(line)


@main.command()
@json_option
@click.pass_context
def info(ctx: click.Context, as_json: bool) -> None:
    """Apply the schema and describe the graph: engine, version, node and relationship counts."""
    with open_store(settings_of(ctx)) as store:
        description = store.describe()
    if as_json:
        click.echo(json.dumps(description.as_dict()))
        return
    click.echo(f"{description.version} at {description.address}, graph {description.database}")
    for label, count in description.labels.items():
        click.echo(f"  (:{label})  {count:,}")
    for rel, count in description.relationships.items():
        click.echo(f"  [:{rel}]  {count:,}")
    click.echo(f"  migrations: {', '.join(description.migrations) or 'none'}")


# -- the catalogue ------------------------------------------------------------------------------
@main.group()
def queries() -> None:
    """The versioned Cypher catalogue."""


@queries.command("list")
@json_option
def queries_list(as_json: bool) -> None:
    """Every catalogue file: name, version, dialect, mode, parameters."""
    rows = [
        {
            "group": q.group,
            "name": q.name,
            "version": q.version,
            "dialect": q.dialect,
            "mode": q.mode,
            "params": ", ".join("$" + p for p in q.params),
            "sha256": q.sha256[:12],
        }
        for q in Catalogue()
    ]
    print_rows(rows, as_json)


@queries.command("show")
@click.argument("name")
@query_version_option("--version")
@click.option(
    "--dialect",
    type=click.Choice([PORTABLE, *DIALECTS]),
    default=PORTABLE,
    help="Engine dialect; falls back to the portable file.",
)
def queries_show(name: str, query_version: int | None, dialect: str) -> None:
    """Print a query's file, ready to paste into Neo4j Browser."""
    query = Catalogue().get(name, query_version, dialect)
    click.echo(f"// file: {query.group}/{query.path.name}  sha256: {query.sha256[:12]}", err=True)
    click.echo(query.text.rstrip())


@main.command()
@click.argument("text", required=False)
@click.option("--query", "name", help="Run a catalogue query by name instead of TEXT.")
@query_version_option()
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE|KEY:=JSON",
    help="Query parameter, repeatable: KEY=VALUE is a string (id=9100001 is the id '9100001'); "
    'KEY:=JSON is JSON (n:=5, ids:=\'["US1","US2"]\', flag:=true, x:=null).',
)
@json_option
@click.option("--read-only", is_flag=True, help="Refuse writes (ad-hoc TEXT only).")
@click.pass_context
def cypher(
    ctx: click.Context,
    text: str | None,
    name: str | None,
    query_version: int | None,
    params: tuple[str, ...],
    as_json: bool,
    read_only: bool,
) -> None:
    """Run Cypher on the configured graph and print the rows (the embedded engine's Browser).

    Every $parameter the query uses must be given with -p; a missing one is named before
    anything runs."""
    if bool(text) == bool(name):
        raise click.UsageError("give either Cypher TEXT or --query NAME")
    values = parse_params(params)
    settings = settings_of(ctx)
    catalogue = Catalogue()
    query: Query | None = None
    if name:
        query = catalogue.get(name, query_version, settings.engine)
        query.check_params(values)
    elif missing := sorted(parameters_in(text or "") - set(values)):
        raise click.UsageError(
            "missing parameter(s) "
            + ", ".join("$" + p for p in missing)
            + ": give each with -p KEY=VALUE (a string) or -p KEY:=JSON"
        )
    with open_store(settings, catalogue) as store:
        if query:
            rows = list(store.run(query, values))
        else:
            rows = store.run_text(text or "", values, write=not read_only)
    print_rows(rows, as_json, query.ref if query else None)


@main.command("graph-embed")
@dimension_option
@seed_option
@concurrency_option
@neighbours_option("Nearest neighbours written per patent as ranked GRAPH_NEIGHBOUR relationships (kNN).")
@json_option
@click.pass_context
def graph_embed(
    ctx: click.Context, dimension: int, seed: int, concurrency: int, neighbours: int, as_json: bool
) -> None:
    """Graph embeddings with Neo4j Graph Data Science: FastRP over patents, CPC codes and citations
    (undirected), written to Patent.graph_embedding, and each patent's kNN as GRAPH_NEIGHBOUR
    {score, rank}. Needs Neo4j with GDS; the same graph and options give the same vectors."""
    from patentcl.graph.gds import EmbedOptions, embed_graph, require_gds

    settings = settings_of(ctx)
    require_gds(settings.engine, "graph-embed")
    options = EmbedOptions(dimension=dimension, seed=seed, concurrency=concurrency, neighbours=neighbours)
    with open_store(settings) as store:
        report = embed_graph(settings, store, options)
    if as_json:
        click.echo(json.dumps(report.as_dict()))
        return
    click.echo(
        f"FastRP: {report.patents:,} patents with a {report.dimension}-dimensional graph_embedding "
        f"(projection: {report.nodes:,} nodes, {report.relationships:,} relationships, "
        f"{', '.join(report.parameters['relationship_types'])} undirected)"
    )
    click.echo(f"  kNN: {report.neighbours:,} GRAPH_NEIGHBOUR relationships (top {neighbours} per patent)")
    click.echo(
        f"  memory estimate {report.estimated_bytes / 2**20:,.1f} MiB of {report.free_bytes / 2**20:,.1f} MiB "
        f"free heap; seed {seed}, concurrency {concurrency}; {report.seconds:.1f} s"
    )


def run(args: list[str] | None = None) -> None:
    """Entry point (`args`: the command line, default sys.argv): PatentclErrors become one clear
    line and exit code 2."""
    try:
        main(args, standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except PatentclError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)


@main.group()
def bench() -> None:
    """Benchmarks that print figures (quote them with the command and the machine)."""


# Each pipeline stage owns its commands in its own folder; the `bench` and `export` groups gather
# commands of several stages.
for _command in (
    load,
    export,
    mine_command,
    train_command,
    embed_command,
    similar,
    suggest_cpc,
    calibrate_cpc,
    serve,
    evaluate,
    quickstart,
    hidden_alias(export_onnx, "export-onnx"),
):
    main.add_command(_command)
export.add_command(export_onnx, "onnx")
for _command in (
    bench_load,
    bench_mine_command,
    *bench_commands,
    bench_similar,
    bench_serve,
    bench_hybrid_cpc,
    bench_onnx,
    bench_engines,
):
    bench.add_command(_command)
