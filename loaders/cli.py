"""`patentcl load ...`, `patentcl export admin-import`, `patentcl bench load`."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.table import Table

from patentcl.graph import open_store
from patentcl.loaders.filters import LoadFilter
from patentcl.loaders.rejects import rejects_option
from patentcl.loaders.runner import LoadReport
from patentcl.loaders.tables import DEFAULT_ENCODING, ENCODINGS
from patentcl.options import (
    date_from_option,
    date_to_option,
    json_option,
    options,
    rows_per_write_option,
    seed_option,
)
from patentcl.output import console, log, settings_of

if TYPE_CHECKING:
    from patentcl.config import Settings
    from patentcl.loaders.load import Source
    from patentcl.loaders.runner import Step

_Result = TypeVar("_Result")

# Counters shown as columns; any other counter a step reports goes to "notes".
_COLUMNS = ("read", "loaded", "replaced", "skipped", "rejected", "duplicate")


def filter_options(default_type: str | None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The filter options every load and export takes."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        return options(
            date_from_option,
            date_to_option,
            click.option(
                "--type",
                "types",
                default=default_type,
                show_default=default_type is not None,
                metavar="TYPES",
                help="Patent types to keep, comma-separated (utility, design, plant, reissue, ...) or "
                "'all' (default: utility for PatentsView, all for CSV).",
            ),
            click.option(
                "--cpc",
                metavar="PREFIXES",
                help="Keep patents with a CPC code starting with one of these, e.g. G06N,G06F16.",
            ),
            click.option(
                "--sample",
                type=int,
                metavar="N",
                help="Keep a deterministic sample of N patents (after the other filters; see --seed).",
            ),
            seed_option,
        )(command)

    return decorate


def _filter(
    date_from: str | None, date_to: str | None, types: str, cpc: str | None, sample: int | None, seed: int
) -> LoadFilter:
    try:
        return LoadFilter.from_options(
            date_from=date_from, date_to=date_to, types=types, cpc=cpc, sample=sample, seed=seed
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


encoding_option = click.option(
    "--encoding",
    type=click.Choice(ENCODINGS, case_sensitive=False),
    default=DEFAULT_ENCODING,
    show_default=True,
    help="Encoding of the input files (a UTF-8 byte-order mark is dropped). A record holding a byte that is "
    "not valid in it is rejected, with its byte offset.",
)


run_options = options(
    rows_per_write_option(None, default_help=" (default PATENTCL_BATCH_SIZE or 5000)"),
    click.option("--resume", is_flag=True, help="Continue an interrupted run of the same load from its checkpoint."),
    click.option(
        "--bulk",
        is_flag=True,
        help="First load of an empty graph through the engine's official bulk loader (falkordb-bulk-insert; "
        "neo4j-admin import into the Neo4j that `graph start` runs, which is restarted): the same checks, "
        "filters and rejects; not resumable (run it again).",
    ),
    click.option(
        "--rejects",
        "rejects_path",
        type=click.Path(path_type=Path),
        callback=rejects_option,
        help="Where to list rejected rows (default <home>/rejects/load-<id>.tsv).",
    ),
    json_option,
)


def print_report(report: LoadReport, as_json: bool, graph: dict[str, Any] | None = None, **extra: Any) -> None:
    """The load summary as a table or as JSON (with `extra` keys added to the JSON)."""
    if as_json:
        click.echo(
            json.dumps(
                {
                    "resumed": report.resumed,
                    "seconds": round(report.seconds, 3),
                    "rejected": report.rejected,
                    "rejects": str(report.rejects_path) if report.rejects_path else None,
                    "notes": report.notes,
                    "files": [
                        {
                            "step": s.name,
                            "file": s.file,
                            "parse_seconds": round(s.parse_seconds, 3),
                            "render_seconds": round(s.render_seconds, 3),
                            "write_seconds": round(s.write_seconds, 3),
                            **s.counts,
                        }
                        for s in report.steps
                    ],
                    "graph": graph,
                    "queries": report.provenance,
                    **extra,
                }
            )
        )
        return
    for note in report.notes:
        log("note", note, style="yellow")
    table = Table(title="load summary" + (" (resumed)" if report.resumed else ""))
    table.add_column("file", overflow="fold")
    for column in _COLUMNS:
        table.add_column(column, justify="right")
    table.add_column("notes", overflow="fold")
    table.add_column("parse s", justify="right")
    table.add_column("render s", justify="right")
    table.add_column("write s", justify="right")
    for step in report.steps:
        notes = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in step.counts.items() if k not in _COLUMNS and v)
        table.add_row(
            Path(step.file).name,
            *(f"{step.counts.get(c, 0):,}" for c in _COLUMNS),
            notes,
            f"{step.parse_seconds:.1f}",
            f"{step.render_seconds:.1f}",
            f"{step.write_seconds:.1f}",
        )
    console.print(table)
    console.print(f"time: {report.seconds:.1f} s")
    if report.rejected:
        console.print(f"{report.rejected:,} rejected rows listed in {report.rejects_path}", style="yellow")
    if graph:
        console.print("graph now: " + ", ".join(f"{k} {v:,}" for k, v in graph.items()))


def _graph_counts(store: Any) -> dict[str, int]:
    info = store.describe()
    return {f"(:{k})": v for k, v in info.labels.items() if k != "SchemaMigration"} | {
        f"[:{k}]": v for k, v in info.relationships.items()
    }


def _load_and_report(
    settings: Settings,
    source: Source,
    extra_steps: Sequence[Step],
    rows_per_write: int | None,
    resume: bool,
    bulk: bool,
    rejects_path: Path | None,
    as_json: bool,
) -> None:
    """Runs a load (through the official bulk loader with `bulk`) and prints its summary."""
    from patentcl.loaders.load import run_bulk_load, run_load

    if bulk:
        if resume:
            raise click.UsageError("--bulk builds the graph at its end and is not resumable: run it again")
        report = run_bulk_load(
            settings, source, extra_steps=extra_steps, batch_size=rows_per_write, rejects_path=rejects_path
        )
        with open_store(settings) as store:
            print_report(report, as_json, _graph_counts(store))
        return
    with open_store(settings) as store:
        report = _interruptible(
            lambda: run_load(
                store,
                settings,
                source,
                extra_steps=extra_steps,
                batch_size=rows_per_write,
                resume=resume,
                rejects_path=rejects_path,
            )
        )
        print_report(report, as_json, _graph_counts(store))


@click.group()
def load() -> None:
    """Load patents into the graph: PatentsView bulk files or patent CSV exports."""


patentsview_options = options(
    click.option(
        "--keep-external-citations",
        is_flag=True,
        help="Keep cited patents that are not loaded as id-only nodes (default: skip and count them).",
    ),
    click.option("--no-abstracts", is_flag=True, help="Do not read g_patent_abstract."),
    click.option("--no-classifications", is_flag=True, help="Do not load g_cpc_current (CPC codes)."),
    click.option("--no-citations", is_flag=True, help="Do not load g_us_patent_citation."),
    click.option("--no-titles", is_flag=True, help="Do not read g_cpc_title."),
)


def _patentsview_source(
    directory: Path,
    flt: LoadFilter,
    keep_external_citations: bool,
    no_abstracts: bool,
    no_classifications: bool,
    no_citations: bool,
    no_titles: bool,
    encoding: str,
):
    from patentcl.loaders.patentsview import Options, PatentsViewSource

    return PatentsViewSource(
        directory,
        flt,
        Options(
            keep_external_citations=keep_external_citations,
            abstracts=not no_abstracts,
            classifications=not no_classifications,
            citations=not no_citations,
            titles=not no_titles,
        ),
        encoding,
    )


@load.command("patentsview")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@filter_options(default_type="utility")
@patentsview_options
@encoding_option
@run_options
@click.pass_context
def load_patentsview(
    ctx: click.Context,
    directory: Path,
    date_from: str | None,
    date_to: str | None,
    types: str,
    cpc: str | None,
    sample: int | None,
    seed: int,
    keep_external_citations: bool,
    no_abstracts: bool,
    no_classifications: bool,
    no_citations: bool,
    no_titles: bool,
    encoding: str,
    rows_per_write: int | None,
    resume: bool,
    bulk: bool,
    rejects_path: Path | None,
    as_json: bool,
) -> None:
    """Load PatentsView bulk tables (g_patent, g_patent_abstract, g_cpc_current,
    g_us_patent_citation, g_cpc_title; .tsv, .tsv.zip or .tsv.gz) from DIRECTORY.

    Patents are kept by the filters; their abstracts, classifications and citations follow.
    Citations to patents that are not in the graph are skipped and counted
    (--keep-external-citations keeps them as id-only nodes)."""
    source = _patentsview_source(
        directory,
        _filter(date_from, date_to, types, cpc, sample, seed),
        keep_external_citations,
        no_abstracts,
        no_classifications,
        no_citations,
        no_titles,
        encoding,
    )
    _load_and_report(settings_of(ctx), source, [], rows_per_write, resume, bulk, rejects_path, as_json)


@load.command("csv")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@filter_options(default_type="all")
@click.option(
    "--cpc-titles",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A PatentsView g_cpc_title file (.tsv, .zip or .gz; UTF-8) to title the CPC codes.",
)
@encoding_option
@run_options
@click.pass_context
def load_csv(
    ctx: click.Context,
    files: tuple[Path, ...],
    date_from: str | None,
    date_to: str | None,
    types: str,
    cpc: str | None,
    sample: int | None,
    seed: int,
    cpc_titles: Path | None,
    encoding: str,
    rows_per_write: int | None,
    resume: bool,
    bulk: bool,
    rejects_path: Path | None,
    as_json: bool,
) -> None:
    """Load patent CSV files (.csv, .csv.gz or .zip) with columns publication_number,title,abstract,cpc_codes
    (Google Patents exports; other columns are ignored)."""
    from patentcl.loaders.csv_export import CsvSource
    from patentcl.loaders.patentsview import TitleStep

    source = CsvSource(list(files), _filter(date_from, date_to, types, cpc, sample, seed), encoding)
    extra = [TitleStep(cpc_titles)] if cpc_titles else []
    _load_and_report(settings_of(ctx), source, extra, rows_per_write, resume, bulk, rejects_path, as_json)


@click.group()
def export() -> None:
    """Export patents and models for other tools."""


@export.command("admin-import")
@click.argument("outdir", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--patentsview",
    "patentsview_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Convert the PatentsView tables in this folder.",
)
@click.option(
    "--csv",
    "csv_files",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Convert this patent CSV export (repeatable).",
)
@filter_options(default_type=None)
@patentsview_options
@click.option(
    "--cpc-titles",
    type=click.Path(path_type=Path, dir_okay=False),
    help="With --csv: a g_cpc_title file (UTF-8) to title the CPC codes.",
)
@encoding_option
@rows_per_write_option(5000)
@click.option("--database", default="neo4j", show_default=True, help="Neo4j database name in the import command.")
@json_option
def export_admin_import(
    outdir: Path,
    patentsview_dir: Path | None,
    csv_files: tuple[Path, ...],
    date_from: str | None,
    date_to: str | None,
    types: str | None,
    cpc: str | None,
    sample: int | None,
    seed: int,
    keep_external_citations: bool,
    no_abstracts: bool,
    no_classifications: bool,
    no_citations: bool,
    no_titles: bool,
    cpc_titles: Path | None,
    encoding: str,
    rows_per_write: int,
    database: str,
    as_json: bool,
) -> None:
    """Write the graph a load would build as CSV files for `neo4j-admin database import full`
    into OUTDIR (plus import.sh with the exact command): the fast path for a first full-scale
    Neo4j load. The input files are converted directly, with the same filters and checks.

    Then stop Neo4j 5 (the import replaces the database; Community cannot stop one database,
    so stop the server, or import before its first start) and run the command printed at the
    end (also "import_command" in --json, and OUTDIR/import.sh), with absolute paths:

    \b
      neo4j-admin database import full neo4j \\
        --nodes=Patent=OUTDIR/patents.csv --nodes=CPC=OUTDIR/cpc.csv \\
        --relationships=CHILD_OF=OUTDIR/cpc_child_of.csv \\
        --relationships=CLASSIFIED_AS=OUTDIR/classified_as.csv \\
        --relationships=CITES=OUTDIR/cites.csv \\
        --multiline-fields=true --overwrite-destination=true

    Start Neo4j and run `patentcl info` against it: it creates patentcl's constraints and
    indexes."""
    from patentcl.loaders.admin_import import export_admin_import as export_files
    from patentcl.loaders.admin_import import import_command
    from patentcl.loaders.csv_export import CsvSource
    from patentcl.loaders.patentsview import TitleStep

    if bool(patentsview_dir) == bool(csv_files):
        raise click.UsageError("give either --patentsview DIR or --csv FILE (repeatable)")
    extra = []
    if patentsview_dir:
        flt = _filter(date_from, date_to, types or "utility", cpc, sample, seed)
        source: Any = _patentsview_source(
            patentsview_dir,
            flt,
            keep_external_citations,
            no_abstracts,
            no_classifications,
            no_citations,
            no_titles,
            encoding,
        )
    else:
        flt = _filter(date_from, date_to, types or "all", cpc, sample, seed)
        source = CsvSource(list(csv_files), flt, encoding)
        extra = [TitleStep(cpc_titles)] if cpc_titles else []
    report, counts = _interruptible(
        lambda: export_files(outdir, source, extra_steps=extra, batch_size=rows_per_write, database=database)
    )
    command = import_command(outdir, database)
    print_report(report, as_json, {f"{name} rows": n for name, n in counts.items()}, import_command=command)
    if not as_json:
        console.print(f"import with (Neo4j stopped, database {database} is overwritten):")
        # plain echo: the command must come out exactly (no wrapping, no markup in paths)
        click.echo(command)


@click.command("load")
@click.option(
    "--csv-dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Folder of patent CSV files (e.g. ../shared/data/google-patents-ai).",
)
@click.option(
    "--patentsview",
    "patentsview_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="A folder of PatentsView tables to load as well.",
)
@click.option(
    "--generate",
    type=int,
    default=0,
    metavar="N",
    help="Generate a synthetic PatentsView data set of N patents and load it.",
)
@click.option(
    "--realistic",
    is_flag=True,
    help="With --generate: draw from a CPC scheme of the real size (250,000 groups) with heavy-tailed code and "
    "citation counts, as the PatentsView tables have (for scale runs).",
)
@rows_per_write_option(5000)
@click.option(
    "--engines",
    default="falkordb,neo4j",
    show_default=True,
    help="Engines to load into, side by side in one run (Neo4j needs Java 17/21 and Maven; "
    "left out with a note where they are missing).",
)
@click.option(
    "--warm-up/--no-warm-up",
    default=True,
    show_default=True,
    help="Load the data once and delete it before the measured load (a fresh JVM is slow "
    "until its JIT has compiled the hot paths).",
)
@click.option(
    "--compare",
    is_flag=True,
    help="Also build the same graph with each engine's official bulk loader (export admin-import, then "
    "neo4j-admin database import full or falkordb-bulk-insert, then patentcl's indexes) and print patentcl's "
    "load time as a multiple of it.",
)
@json_option
def bench_load(
    csv_dir: Path | None,
    patentsview_dir: Path | None,
    generate: int,
    realistic: bool,
    rows_per_write: int,
    engines: str,
    warm_up: bool,
    compare: bool,
    as_json: bool,
) -> None:
    """Load throughput into a fresh graph of each engine: patents/s, edges/s, parse, render and write
    time, CPU of loader and server, peak memory of the loader; with --compare, against the engine's
    official bulk loader on the same data in the same run."""
    import tempfile

    from patentcl.graph.servers import parse_engines, unavailable
    from patentcl.loaders.bench import (
        compared,
        describe_machine,
        dumps,
        figures,
        generate_fixture,
        measure,
        measure_official,
    )

    if realistic and not generate:
        raise click.UsageError("--realistic shapes the generated data: give --generate N too")
    try:
        chosen = parse_engines(engines)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--engines") from None
    for engine in list(chosen):
        if why := unavailable(engine):
            log("warning", f"{engine} left out: {why}", style="yellow")
            chosen.remove(engine)

    runs: list[tuple[str, str, list[Path]]] = []
    if csv_dir:
        files = sorted(csv_dir.glob("*.csv"))
        if not files:
            raise click.BadParameter(f"{csv_dir} holds no .csv file", param_hint="--csv-dir")
        runs.append((f"csv {csv_dir}", "csv", files))
    if patentsview_dir:
        runs.append((f"patentsview {patentsview_dir}", "patentsview", [patentsview_dir]))
    with tempfile.TemporaryDirectory(prefix="patentcl-fixture-") as scratch:
        if generate:
            log("bench load", f"generating a PatentsView fixture of {generate:,} patents ...")
            runs.append(
                (
                    f"patentsview fixture {generate:,} patents{' (realistic)' if realistic else ''}",
                    "patentsview",
                    [generate_fixture(Path(scratch), generate, realistic=realistic)],
                )
            )
        if not runs:
            raise click.UsageError("nothing to load: give --csv-dir, --patentsview or --generate")
        results = {}
        for label, kind, inputs in runs:
            for engine in chosen:
                log("bench load", f"loading {label} into {engine} ...")
                measured = measure(engine, kind, inputs, rows_per_write, warm_up=warm_up)
                results[f"{engine}: {label}"] = row = figures(measured)
                if compare:
                    log("bench load", f"building the same graph with {engine}'s official bulk loader ...")
                    row.update(compared(measured, measure_official(engine, kind, inputs, rows_per_write)))
    if as_json:
        click.echo(dumps({"machine": describe_machine(), "rows_per_write": rows_per_write, "results": results}))
        return
    table = Table(title=f"load benchmark ({describe_machine()}, {rows_per_write:,} rows per write)")
    table.add_column("figure")
    for label in results:
        table.add_column(label, justify="right", overflow="fold")
    for key in next(iter(results.values())):
        cells = []
        for result in results.values():
            value = result[key]
            cells.append(
                "-"
                if value is None
                else ("yes" if value else "NO")
                if isinstance(value, bool)
                else f"{value:,.0f}"
                if isinstance(value, int) or value > 1000
                else f"{value:,.2f}"
            )
        table.add_row(key, *cells)
    console.print(table)


def _interruptible(job: Callable[[], _Result]) -> _Result:
    from patentcl.errors import GraphUnavailableError

    try:
        return job()
    except KeyboardInterrupt:
        log(
            "interrupted",
            "what was written is checkpointed; run the same command with --resume to continue",
            style="yellow",
        )
        raise
    except GraphUnavailableError as exc:  # e.g. the server was stopped or killed mid-load
        raise GraphUnavailableError(
            f"{exc}; what was written is checkpointed: when the graph is back, run "
            "the same command with --resume to continue"
        ) from None


__all__ = ["bench_load", "export", "load"]
