"""Commands: `patentcl mine` and `patentcl bench mine`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from patentcl.graph import open_store
from patentcl.mining.miner import NEGATIVE_LEVELS, MineOptions, NothingToMine
from patentcl.mining.splits import Splits
from patentcl.mining.strategies import DEFAULT_STRATEGY, STRATEGIES
from patentcl.options import (
    anchors_per_query_option,
    json_option,
    neighbours_option,
    query_version_option,
    seed_option,
    triplet_count_option,
)
from patentcl.output import log, settings_of


def _splits(ctx: click.Context, param: click.Parameter, value: str) -> Splits:
    try:
        return Splits.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _band(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, int]:
    low, sep, high = value.partition("-")
    if not (sep and low.strip().isdigit() and high.strip().isdigit()) or not 1 <= int(low) <= int(high):
        raise click.BadParameter(f"{value!r} is not FROM-TO with 1 <= FROM <= TO (ranks, e.g. 1-5)")
    return int(low), int(high)


def _mining_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options `mine` and `bench mine` share."""
    options = [
        click.option(
            "--strategy",
            type=click.Choice(list(STRATEGIES)),
            default=DEFAULT_STRATEGY,
            show_default=True,
            help="; ".join(f"{s.name}: {s.summary}" for s in STRATEGIES.values()),
        ),
        query_version_option(help="Version of the strategy's catalogue query (default: newest)."),
        click.option(
            "--negatives",
            type=click.IntRange(1),
            default=3,
            show_default=True,
            help="Negatives (so triplets) per anchor.",
        ),
        seed_option,
        click.option(
            "--split",
            "splits",
            default="0.8,0.1,0.1",
            show_default=True,
            callback=_splits,
            metavar="TRAIN,VALIDATION,TEST",
            help="Fractions of patents per split; a patent's split is a hash of its family key "
            "(patents with identical normalised abstracts share one split).",
        ),
        anchors_per_query_option,
        click.option(
            "--negative-level",
            type=click.Choice(NEGATIVE_LEVELS),
            default="subclass",
            show_default=True,
            help="cpc-hierarchy, cpc-overlap: a hard negative shares this CPC level with the anchor's shared code.",
        ),
        click.option(
            "--max-candidates",
            type=click.IntRange(1),
            default=100,
            show_default=True,
            help="Candidate patents read per anchor (positive and negatives each).",
        ),
        click.option(
            "--max-groups",
            type=click.IntRange(1),
            default=4,
            show_default=True,
            help="cpc-hierarchy, cpc-overlap: sibling main groups visited per anchor for negatives.",
        ),
        neighbours_option("embedding-neighbours: nearest neighbours read per anchor."),
        click.option(
            "--margin",
            type=click.FloatRange(0, 1, min_open=True),
            default=0.95,
            show_default=True,
            help="embedding-neighbours: skip neighbours more similar than MARGIN x the positive.",
        ),
        click.option(
            "--positive-band",
            default="1-5",
            show_default=True,
            callback=_band,
            metavar="FROM-TO",
            help="graph-neighbours: GRAPH_NEIGHBOUR ranks the positive is drawn from (1 = nearest).",
        ),
        click.option(
            "--negative-band",
            default="20-50",
            show_default=True,
            callback=_band,
            metavar="FROM-TO",
            help="graph-neighbours: GRAPH_NEIGHBOUR ranks the hard negatives are drawn from.",
        ),
        click.option("--reindex", is_flag=True, help="Rebuild the mining index even if the graph looks unchanged."),
        json_option,
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _options(
    strategy: str,
    query_version: int | None,
    negatives: int,
    seed: int,
    splits: Splits,
    anchors_per_query: int,
    negative_level: str,
    max_candidates: int,
    max_groups: int,
    neighbours: int,
    margin: float,
    positive_band: tuple[int, int],
    negative_band: tuple[int, int],
    anchors: int | None = None,
) -> MineOptions:
    return MineOptions(
        strategy=strategy,
        query_version=query_version,
        anchors=anchors,
        negatives=negatives,
        seed=seed,
        splits=splits,
        batch_size=anchors_per_query,
        negative_level=negative_level,
        max_candidates=max_candidates,
        max_groups=max_groups,
        neighbours=neighbours,
        margin=margin,
        positive_band=positive_band,
        negative_band=negative_band,
    )


@click.command("mine")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder for train/validation/test.parquet and manifest.json.",
)
@click.option(
    "--anchors",
    type=click.IntRange(1),
    default=None,
    help="Mine at most this many anchors (the first in seeded order; default: every patent).",
)
@_mining_options
@click.option("--resume", is_flag=True, help="Continue the interrupted run in --out from its checkpoint.")
@click.option("--overwrite", is_flag=True, help="Replace the triplets (or unfinished run) already in --out.")
@click.pass_context
def mine_command(
    ctx: click.Context,
    /,
    out: Path,
    anchors: int | None,
    reindex: bool,
    as_json: bool,
    resume: bool,
    overwrite: bool,
    **choices: Any,
) -> None:
    """Mine hard-negative triplets with a versioned Cypher strategy into Parquet files.

    Each anchor's positive and negatives are chosen by the strategy's catalogue query
    (`patentcl queries show cpc_hierarchy`); every triplet is checked against the graph before it
    is written. The same graph, options and seed give byte-identical files. A run that yields no
    triplet (an empty graph, no anchor with one) says why, writes no file and exits with 1.
    """
    from patentcl.mining.miner import mine

    options = _options(anchors=anchors, **choices)
    with open_store(settings_of(ctx)) as store:
        try:
            manifest = mine(store, options, out, resume=resume, overwrite=overwrite, rebuild_index=reindex)
        except NothingToMine as exc:
            # No files and exit 1: a pipeline must not go on to train on empty triplets.
            log("warning", str(exc))
            sys.exit(1)
        except KeyboardInterrupt:
            log(
                "interrupted",
                "finished batches are saved; run the same command with --resume to continue",
                style="yellow",
            )
            raise
    if as_json:
        click.echo(json.dumps(manifest))
        return
    _print_summary(manifest, out)


def _print_summary(manifest: dict[str, Any], out: Path) -> None:
    counts, timings, query = manifest["counts"], manifest["run"]["timings"], manifest["query"]
    click.echo(
        f"{manifest['strategy']}: {query['query']} v{query['version']} ({query['dialect']}), seed {manifest['seed']}"
    )
    click.echo(
        f"  anchors {counts['anchors']:,}: {counts['anchors_with_triplets']:,} with triplets, "
        f"{counts['no_positive']:,} without a positive, {counts['no_negative']:,} without a negative, "
        f"{counts['fewer_negatives']:,} with fewer negatives than asked"
    )
    for entry in manifest["files"].values():
        click.echo(f"  {out / entry['path']}: {entry['rows']:,} triplets")
    if counts["rejected"]:
        click.echo("  rejected by the checks: " + ", ".join(f"{k} {v:,}" for k, v in counts["rejected"].items()))
    rate = timings["triplets_per_s"]
    click.echo(
        f"  mined {timings['triplets_mined']:,} triplets in {timings['mining_s']:.1f} s"
        + (f" ({rate:,.0f}/s)" if rate else "")
        + f"; total {timings['total_s']:.1f} s"
    )


@click.command("mine")
@triplet_count_option(20_000)
@_mining_options
@click.pass_context
def bench_mine_command(ctx: click.Context, /, triplet_count: int, reindex: bool, as_json: bool, **choices: Any) -> None:
    """Mining throughput (triplets/s) on the configured graph; load it first (`patentcl load csv`)."""
    from patentcl.mining.bench import bench_mine

    options = _options(**choices)
    settings = settings_of(ctx)
    with open_store(settings) as store:
        figures = bench_mine(store, settings, options, triplet_count, rebuild_index=reindex)
    if as_json:
        click.echo(json.dumps(figures))
        return
    click.echo(
        f"{figures['query']} on {figures['engine']} ({', '.join(f'{k} {v:,}' for k, v in figures['graph'].items())})"
    )
    click.echo(
        f"  {figures['triplets']:,} triplets from {figures['anchors']:,} anchors "
        f"({figures['negatives_per_anchor']} negatives each, {figures['batch_size']} anchors per query)"
    )
    click.echo(f"  mining: {figures['mining_s']:.2f} s, {figures['triplets_per_s']:,.0f} triplets/s")
    server = "" if figures["server_cpu_s"] is None else f", graph server {figures['server_cpu_s']:.1f} s (whole run)"
    click.echo(
        f"  CPU: this process {figures['client_cpu_s']:.1f} s{server}; {figures['cpus']} CPUs, "
        f"load average {figures['load_average']}"
    )
    click.echo(
        f"  index: {figures['index_s']:.2f} s ({'rebuilt' if figures['index_rebuilt'] else 'up to date'}); "
        f"total {figures['total_s']:.2f} s"
    )
