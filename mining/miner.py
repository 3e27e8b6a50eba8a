"""`patentcl mine`: runs a strategy query over batches of anchors and writes checked triplets.

A run: bring the mining index up to date, list the anchors in seeded order (each in the split
its family key hashes to, so a patent family is never split), then per split and batch of anchors
run the strategy query, read the facts of every patent it named, check each triplet, and record
the batch (part file + checkpoint). The same graph, options and seed give byte-identical Parquet
files, interrupted or not.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from patentcl import __version__
from patentcl.cpc import CLASS, SUBCLASS
from patentcl.errors import PatentclError
from patentcl.graph import GraphStore, Row
from patentcl.mining.index import ensure_index, moved_by_family
from patentcl.mining.splits import RANK_SPACE, Splits, rank_of, shuffle_of
from patentcl.mining.strategies import (
    DEFAULT_STRATEGY,
    Strategy,
    check_graph_neighbours,
    check_vectors,
    query_params,
    strategy_named,
)
from patentcl.mining.triplets import STATE_DIR, RunState
from patentcl.mining.validate import Checker, FactsReader, Hierarchy
from patentcl.progress import progress_bar
from patentcl.triplets import COLUMNS, FORMAT, MANIFEST, SPLITS, table_of, write_json

NEGATIVE_LEVELS = (SUBCLASS, CLASS)
# Random negatives (cited-shared-cpc) are read from a window of ranks holding about this many
# patents per negative wanted, enough to be left with some after the exclusions.
_WINDOW_PATENTS_PER_NEGATIVE = 8
# The other catalogue queries a run reads with (recorded in the manifest next to the strategy's).
_SUPPORT_QUERIES = ("mining_anchors", "mining_patent_facts", "mining_anchor_links", "mining_cpc_parents")


class NothingToMine(PatentclError):
    """A run that finds no triplet to write (an empty graph, or no anchor yields one): no
    triplet file is written, and what the output folder held before stays."""


@dataclass(frozen=True)
class MineOptions:
    strategy: str = DEFAULT_STRATEGY
    query_version: int | None = None
    anchors: int | None = None  # at most this many anchors (the first ones in seeded order)
    negatives: int = 3  # per anchor
    seed: int = 0
    splits: Splits = field(default_factory=Splits)
    batch_size: int = 1000  # anchors per query
    negative_level: str = SUBCLASS
    max_candidates: int = 100
    max_groups: int = 4
    neighbours: int = 50
    margin: float = 0.95
    positive_band: tuple[int, int] = (1, 5)  # graph-neighbours: GRAPH_NEIGHBOUR ranks of the positive
    negative_band: tuple[int, int] = (20, 50)  # graph-neighbours: GRAPH_NEIGHBOUR ranks of the negatives

    def __post_init__(self) -> None:
        if self.negative_level not in NEGATIVE_LEVELS:
            raise PatentclError(
                f"negative level must be one of {', '.join(NEGATIVE_LEVELS)}, not {self.negative_level!r}"
            )
        for name in ("negatives", "batch_size", "max_candidates", "max_groups", "neighbours"):
            if getattr(self, name) < 1:
                raise PatentclError(f"{name.replace('_', '-')} must be at least 1")
        if self.anchors is not None and self.anchors < 1:
            raise PatentclError("anchors must be at least 1")
        for name in ("positive_band", "negative_band"):
            low, high = getattr(self, name)
            if not 1 <= low <= high:
                raise PatentclError(f"{name.replace('_', '-')} must be FROM-TO with 1 <= FROM <= TO, not {low}-{high}")
        if self.positive_band[1] >= self.negative_band[0]:
            raise PatentclError(
                f"negative-band {self.negative_band[0]}-{self.negative_band[1]} must lie beyond "
                f"positive-band {self.positive_band[0]}-{self.positive_band[1]}"
            )
        if not 0 < self.margin <= 1:
            raise PatentclError(f"margin must be in (0, 1], not {self.margin}")

    def parameters(self) -> dict[str, Any]:
        values = asdict(self)
        values.pop("splits")
        return values


@dataclass(frozen=True)
class Job:
    """One batch of anchors of one split, named for its part file and checkpoint entry."""

    split: str
    name: str
    ids: list[str]


@dataclass
class BatchResult:
    rows: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)


def _per_split(count: int, fraction: float) -> int:
    """Candidates outside the anchor's split are read and dropped: read more in a small split
    (up to ten times more), so a test anchor finds about as many as a training one."""
    return min(10 * count, math.ceil(count / max(fraction, 1e-9)))


def _checked_ids(rows: Iterable[dict[str, Any]]) -> dict[str, str]:
    """The anchors' family keys by id, in order. Splits and orders rest on stored ranks: refuse to
    mine if they are not the hashes of the family keys. Rows are consumed as they stream in: only
    ids and keys are kept."""
    families: dict[str, str] = {}
    wrong: list[str] = []
    for row in rows:
        families[row["id"]] = row["family"]
        if row["family"] is None or row["rank"] != rank_of(row["family"]):
            wrong.append(row["id"])
    if wrong:
        raise PatentclError(
            f"{len(wrong):,} patents (e.g. {wrong[0]}) carry a rank that is not the hash of their family key, so "
            "their splits would be wrong; rerun with --reindex to rewrite the mining index"
        )
    return families


def _digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


class Miner:
    """One `patentcl mine` run over an open graph."""

    def __init__(self, store: GraphStore, options: MineOptions, out: Path):
        self.store = store
        self.options = options
        self.out = Path(out)
        self.strategy: Strategy = strategy_named(options.strategy)
        check_graph_neighbours(store, self.strategy)  # before the lookup: its query is Neo4j's only
        self.query = store.query(self.strategy.query, options.query_version)
        self.shuffle = shuffle_of(options.seed)
        self.state = RunState(self.out)
        self.facts = FactsReader(store)

    # -- the run ----------------------------------------------------------------------------
    def run(self, *, resume: bool = False, overwrite: bool = False, rebuild_index: bool = False) -> dict[str, Any]:
        started = time.perf_counter()
        self._check_out(resume, overwrite)
        index = ensure_index(self.store, rebuild=rebuild_index)
        check_vectors(self.store, self.strategy)

        t = time.perf_counter()
        # Streamed: a PatentsView graph has millions of anchors.
        anchors = _checked_ids(
            self.store.stream("mining_anchors", {"shuffle": self.shuffle, "limit": self.options.anchors or RANK_SPACE})
        )
        if not anchors:
            raise NothingToMine(self._no_anchors())
        population = int(next(self.store.run("mining_patent_counts"))["patents"])
        batches = self._batches(anchors)
        families = {
            **index.families,
            "moved_by_family": moved_by_family(self.store, self.options.splits),
            "anchors_moved_by_family": sum(
                self.options.splits.of(a) != self.options.splits.of(f) for a, f in anchors.items()
            ),
        }
        timings: dict[str, float | None] = {"index_s": index.seconds, "anchors_s": time.perf_counter() - t}

        checkpoint = self._checkpoint(self._definition(anchors, index.fingerprint), resume)
        timings |= self._mine_batches(batches, checkpoint, population)
        if not (totals := self._totals(checkpoint))["triplets"]:
            self.state.clear()  # a finished run: nothing to resume
            raise NothingToMine(self._no_triplets(totals))

        t = time.perf_counter()
        self._remove_outputs()  # only now: a run that mines nothing leaves the previous triplets
        files = self.state.assemble({split: [name for name, _ in names] for split, names in batches.items()})
        for entry in files.values():
            entry["sha256"] = hashlib.sha256((self.out / entry["path"]).read_bytes()).hexdigest()
        timings |= {"assemble_s": time.perf_counter() - t, "total_s": time.perf_counter() - started}
        manifest = self._manifest(
            checkpoint,
            files,
            index.fingerprint,
            families,
            {
                "patentcl": __version__,
                "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "resumed": resume,
                "index": index.as_dict(),
                "timings": {k: round(v, 3) if isinstance(v, float) else v for k, v in timings.items()},
            },
        )
        write_json(manifest, self.out / MANIFEST)
        self.state.clear()
        return manifest

    def _checkpoint(self, definition: dict[str, Any], resume: bool) -> dict[str, Any]:
        """The checkpoint of an unfinished run with this definition, or a fresh one."""
        if not resume:
            return self.state.start(_digest(definition), definition)
        checkpoint = self.state.load()
        if checkpoint["key"] != _digest(definition):
            changed = sorted(k for k in definition if checkpoint["definition"].get(k) != definition[k])
            raise PatentclError(
                f"the unfinished run in {self.out} was started with other settings or on another graph "
                f"(differs in: {', '.join(changed)}); run without --resume, with --overwrite, to start over"
            )
        return checkpoint

    def _mine_batches(
        self, batches: dict[str, list[tuple[str, list[str]]]], checkpoint: dict[str, Any], population: int
    ) -> dict[str, float | None]:
        """Mines and records every batch the checkpoint does not list yet; returns the timings."""
        checker = Checker(
            self.strategy,
            Hierarchy.read(self.store),
            self.options.splits,
            self.options.negative_level,
            self.options.positive_band,
            self.options.negative_band,
        )
        params = {split: self._split_params(split, population) for split in SPLITS}
        jobs = [
            Job(split, name, ids)
            for split, names in batches.items()
            for name, ids in names
            if not self.state.done(checkpoint, name)
        ]
        total = sum(len(ids) for names in batches.values() for _, ids in names)
        started, cpu, mined = time.perf_counter(), time.process_time(), 0
        with progress_bar(f"mining {self.strategy.name}", total=total) as advance:
            advance(total - sum(len(job.ids) for job in jobs))
            for job, found in self._queried(jobs, params):
                result = self._check_batch(job, found, checker)
                self.state.record(checkpoint, job.name, table_of(result.rows), result.counts)
                mined += len(result.rows)
                advance(len(job.ids))
        seconds = time.perf_counter() - started
        return {
            "mining_s": seconds,
            "mining_cpu_s": time.process_time() - cpu,  # this process only, not the graph's
            "triplets_mined": mined,
            "triplets_per_s": round(mined / seconds, 1) if seconds else None,
        }

    def _manifest(
        self,
        checkpoint: dict[str, Any],
        files: dict[str, Any],
        graph_fingerprint: dict[str, int],
        families: dict[str, int],
        run: dict[str, Any],
    ) -> dict[str, Any]:
        """Everything but `run` is a function of the graph, the options and the seed."""
        return {
            "format": FORMAT,
            "strategy": self.strategy.name,
            "query": self.query.provenance(),
            "queries": {name: self.store.query(name).provenance() for name in _SUPPORT_QUERIES},
            "seed": self.options.seed,
            "shuffle": self.shuffle,
            "parameters": self.options.parameters(),
            "splits": self.options.splits.as_dict(),
            "columns": list(COLUMNS),
            "graph": self._graph(graph_fingerprint),
            # Families of identical abstracts (patentcl.families), and how many patents and anchors
            # their family puts in another split than their own id's hash would.
            "families": families,
            "counts": self._totals(checkpoint),
            "files": files,
            "run": run,
        }

    # -- pieces -----------------------------------------------------------------------------
    def _check_out(self, resume: bool, overwrite: bool) -> None:
        if resume:
            if not self.state.exists:
                raise PatentclError(
                    f"nothing to resume in {self.out}: it holds no unfinished run ({STATE_DIR}/ is missing)"
                )
            return
        if (self.state.exists or (self.out / MANIFEST).exists()) and not overwrite:
            raise PatentclError(
                f"{self.out} already holds mined triplets or an unfinished run; "
                "use --resume to continue it or --overwrite to start again"
            )

    def _no_anchors(self) -> str:
        patents = self.store.describe().labels.get("Patent", 0)
        if not patents:
            return (
                "the graph holds no patents, so there is nothing to mine: load some first "
                "(`patentcl load csv FILE` or `patentcl load patentsview DIR`) and check with `patentcl info`"
            )
        return (
            f"none of the {patents:,} patents in the graph can anchor a triplet (an anchor needs a title or "
            "abstract and a CPC code): load patents with their CPC classifications"
        )

    def _no_triplets(self, totals: dict[str, Any]) -> str:
        rejected = sum(totals["rejected"].values())
        return (
            f"none of the {totals['anchors']:,} anchors yielded a triplet ({totals['no_positive']:,} without a "
            f"positive, {totals['no_negative']:,} without a negative, {rejected:,} triplets rejected by the "
            f"checks): load more patents (more shared CPC codes), or try --negative-level class, more "
            f"--anchors or another --strategy than {self.strategy.name}"
        )

    def _remove_outputs(self) -> None:
        for name in (MANIFEST, *(f"{split}.parquet" for split in SPLITS)):
            (self.out / name).unlink(missing_ok=True)

    def _batches(self, anchors: dict[str, str]) -> dict[str, list[tuple[str, list[str]]]]:
        """Anchors by split (by the hash of their family key), in mining order, cut into named batches."""
        by_split: dict[str, list[str]] = {split: [] for split in SPLITS}
        for anchor, family in anchors.items():
            by_split[self.options.splits.of(family)].append(anchor)
        size = self.options.batch_size
        return {
            split: [(f"{split}-{i // size:06d}", ids[i : i + size]) for i in range(0, len(ids), size)]
            for split, ids in by_split.items()
        }

    def _split_params(self, split: str, population: int) -> dict[str, Any]:
        """Every parameter any strategy version may declare; each query takes the ones it lists."""
        lo, hi = self.options.splits.ranges()[split]
        fraction = (hi - lo) / RANK_SPACE
        in_split = max(1, round(population * fraction))
        window = min(
            hi - lo, max(1, math.ceil((hi - lo) * _WINDOW_PATENTS_PER_NEGATIVE * self.options.negatives / in_split))
        )
        return {
            "lo": lo,
            "hi": hi,
            "shuffle": self.shuffle,
            "negatives": self.options.negatives,
            "negative_level": self.options.negative_level,
            "max_groups": self.options.max_groups,
            "max_candidates": _per_split(self.options.max_candidates, fraction),
            "margin": self.options.margin,
            "positive_from": self.options.positive_band[0],
            "positive_to": self.options.positive_band[1],
            "negative_from": self.options.negative_band[0],
            "negative_to": self.options.negative_band[1],
            "neighbours": _per_split(self.options.neighbours, fraction),
            "window": window,
            "room": max(1, hi - lo - window),
        }

    def _queried(self, jobs: list[Job], params: dict[str, dict[str, Any]]) -> Iterator[tuple[Job, dict[str, Row]]]:
        """Each batch with the strategy query's rows by anchor. The query of the next batch runs in
        a worker thread while this one is checked and written, so the graph and this process work
        at the same time; results do not depend on it (each batch's query stands alone)."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="patentcl-mine") as pool:
            ahead: Future | None = None
            for i, job in enumerate(jobs):
                current = ahead or pool.submit(self._query_batch, job, params[job.split])
                following = jobs[i + 1] if i + 1 < len(jobs) else None
                ahead = pool.submit(self._query_batch, following, params[following.split]) if following else None
                yield job, current.result()

    def _query_batch(self, job: Job, split_params: dict[str, Any]) -> dict[str, Row]:
        params = query_params(self.query, {**split_params, "anchors": job.ids})
        return {row["anchor"]: row for row in self.store.run(self.query, params)}

    def _check_batch(self, job: Job, found: dict[str, Row], checker: Checker) -> BatchResult:
        """Turns the query's rows into checked triplets with texts, counting every anchor."""
        named = set(found) | {row["positive"] for row in found.values()}
        named |= {n for row in found.values() for n in row["negatives"]}
        facts = self.facts.read(named, found, graph_neighbours=self.strategy.needs_graph_neighbours)

        result = BatchResult()
        counts = result.counts
        counts["anchors"] = len(job.ids)
        for anchor in job.ids:  # the batch's order, whatever order the engine returned rows in
            row = found.get(anchor)
            if row is None:
                counts["no_positive"] += 1
                continue
            negatives = row["negatives"]
            if not negatives:
                counts["no_negative"] += 1
                continue
            if len(negatives) < self.options.negatives:
                counts["fewer_negatives"] += 1
            kept = 0
            for negative in negatives:
                triplet = {
                    "anchor_id": anchor,
                    "positive_id": row["positive"],
                    "negative_id": negative,
                    "strategy": self.strategy.name,
                    "query": self.query.name,
                    "query_version": self.query.version,
                    "shared_level": row["shared_level"],
                    "shared_code": row["shared_code"],
                    "split": job.split,
                }
                problem = checker.problem(triplet, facts)
                if problem:
                    counts[f"rejected_{problem}"] += 1
                    continue
                for role in ("anchor", "positive", "negative"):
                    patent = facts[triplet[f"{role}_id"]]
                    triplet[f"{role}_title"], triplet[f"{role}_abstract"] = patent.title, patent.abstract
                result.rows.append(triplet)
                kept += 1
            counts["anchors_with_triplets"] += kept > 0
        counts["triplets"] = len(result.rows)
        return result

    def _definition(self, anchors: dict[str, str], graph_fingerprint: dict[str, int]) -> dict[str, Any]:
        """What determines the output: a resumed run must match it exactly (the anchors' order
        and their families, which place them in splits)."""
        return {
            "strategy": self.strategy.name,
            "query": self.query.provenance(),
            "parameters": self.options.parameters(),
            "splits": self.options.splits.as_dict(),
            "graph": graph_fingerprint,
            "anchors": _digest(list(anchors.items())),
        }

    def _totals(self, checkpoint: dict[str, Any]) -> dict[str, Any]:
        total: Counter = Counter()
        per_split: dict[str, Counter] = {split: Counter() for split in SPLITS}
        for name, counts in checkpoint["batches"].items():
            total.update(counts)
            per_split[name.split("-", 1)[0]].update(counts)
        rejected = {k.removeprefix("rejected_"): v for k, v in sorted(total.items()) if k.startswith("rejected_")}
        summary: dict[str, Any] = {
            k: total.get(k, 0)
            for k in ("anchors", "anchors_with_triplets", "no_positive", "no_negative", "fewer_negatives", "triplets")
        }
        summary["rejected"] = rejected
        summary["splits"] = {
            split: {"anchors": c.get("anchors", 0), "triplets": c.get("triplets", 0)} for split, c in per_split.items()
        }
        return summary

    def _graph(self, graph_fingerprint: dict[str, int]) -> dict[str, Any]:
        info = self.store.describe()
        return {"engine": info.engine, "version": info.version, "database": info.database, "counts": graph_fingerprint}


def mine(
    store: GraphStore,
    options: MineOptions,
    out: Path,
    *,
    resume: bool = False,
    overwrite: bool = False,
    rebuild_index: bool = False,
) -> dict[str, Any]:
    """Mines triplets into `out` (see `patentcl.triplets` for the files); returns the manifest.
    A run that writes nothing leaves no empty `out` folder behind it."""
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    try:
        return Miner(store, options, out).run(resume=resume, overwrite=overwrite, rebuild_index=rebuild_index)
    finally:
        if created and not any(out.iterdir()):
            out.rmdir()
