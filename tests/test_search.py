"""Similarity lookup and CPC suggestion on a real graph: a PatentsView-format fixture loaded by the
loader, embedded by `patentcl embed`'s code with all-MiniLM-L6-v2, searched on the embedded FalkorDB.
Every answer is checked against an exact nearest-neighbour computation in numpy."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from helpers import Graphs, cli_env
from patentcl.cli import main
from patentcl.config import Settings
from patentcl.evaluators.votes import vote
from patentcl.graph import GraphStore, open_store
from patentcl.graph.vector_index import stored_vectors
from patentcl.loaders import patentsview_fixture
from patentcl.search.query_model import encode_query, query_model
from patentcl.search.similar import Filters, SearchError, similar
from patentcl.search.suggest import calibrate, stored_calibration, suggest_cpc

PATENTS = 100


@dataclass
class Graph:
    settings: Settings
    store: GraphStore
    model_path: str
    ids: list[str]
    vectors: np.ndarray  # as stored in the graph, row i = ids[i]
    codes: dict[str, list[str]]
    cited: dict[str, set[str]]
    dates: dict[str, str | None]
    titles: dict[str, str]
    abstracts: dict[str, str | None]


@pytest.fixture(scope="module")
def graph(graphs: Graphs, minilm_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Graph]:
    from patentcl.encoding import open_model
    from patentcl.loaders.filters import LoadFilter
    from patentcl.loaders.load import run_load
    from patentcl.loaders.patentsview import Options, PatentsViewSource
    from patentcl.trainer.embed import embed_patents

    tables = tmp_path_factory.mktemp("patentsview")
    patentsview_fixture.generate(tables, patents=PATENTS, seed=11)
    settings = graphs.new("search")
    with open_store(settings) as store:
        run_load(store, settings, PatentsViewSource(tables, LoadFilter(types=None), Options()))
        embed_patents(store, open_model(minilm_path), progress=False)
        rows = []
        while page := list(store.run("evaluation_patents", {"skip": len(rows), "limit": 1000})):
            rows.extend(page)
        vectors = stored_vectors(store, [r["id"] for r in rows])
        rows = [r for r in rows if r["id"] in vectors]
        yield Graph(
            settings,
            store,
            minilm_path,
            [r["id"] for r in rows],
            np.stack([vectors[r["id"]][0] for r in rows]),
            {r["id"]: r["codes"] for r in rows},
            {r["id"]: set(r["cited"]) for r in rows},
            {r["id"]: r["date"] for r in rows},
            {r["id"]: r["title"] for r in rows},
            {r["id"]: r["abstract"] for r in rows},
        )


def exact(
    g: Graph, query: np.ndarray, k: int, keep=lambda pid: True, exclude: str | None = None
) -> list[tuple[str, float]]:
    """The k nearest patents by brute force in numpy among those `keep` accepts."""
    sims = g.vectors @ query
    ranked = sorted(
        ((float(s), pid) for pid, s in zip(g.ids, sims) if pid != exclude and keep(pid)), key=lambda t: (-t[0], t[1])
    )
    return [(pid, s) for s, pid in ranked[:k]]


def vector_of(g: Graph, pid: str) -> np.ndarray:
    return g.vectors[g.ids.index(pid)]


def assert_same(hits, expected: list[tuple[str, float]]) -> None:
    assert [h.id for h in hits] == [pid for pid, _ in expected]
    assert [h.similarity for h in hits] == pytest.approx([s for _, s in expected], abs=1e-5)


def prefix_held_by(g: Graph, low: int, high: int) -> str:
    """A CPC subclass prefix held by between `low` and `high` patents."""
    for prefix in sorted({c[:4] for codes in g.codes.values() for c in codes}):
        holders = sum(any(c.startswith(prefix) for c in codes) for codes in g.codes.values())
        if low <= holders <= high:
            return prefix
    pytest.skip(f"no subclass held by {low}-{high} patents in this fixture")


def test_by_id_returns_the_exact_nearest_in_order(graph: Graph) -> None:
    for pid in graph.ids[:5]:
        lookup = similar(graph.store, patent=pid, k=5)
        assert lookup.method == "index" and lookup.rounds == 1
        assert_same(lookup.hits, exact(graph, vector_of(graph, pid), 5, exclude=pid))
        shared = set(graph.codes[pid])
        assert all(set(h.shared_codes) == shared & set(h.codes) for h in lookup.hits)
        assert_same(
            similar(graph.store, patent=pid, k=5, exact=True).hits, exact(graph, vector_of(graph, pid), 5, exclude=pid)
        )


def filter_with_few_near(graph: Graph) -> tuple[str, Callable[[str], bool], str]:
    """A CPC prefix held by 8-40 patents, its test, and an anchor whose 6 nearest hold between 1
    and 4 patents with the prefix: the first index round (k + 1 = 6 candidates) cannot give 5
    results, the next ones must fetch more."""
    prefix = prefix_held_by(graph, 8, 40)

    def keep(pid: str) -> bool:
        return any(c.startswith(prefix) for c in graph.codes[pid])

    anchor = next(
        pid
        for pid in graph.ids
        if 1 <= sum(map(keep, (n for n, _ in exact(graph, vector_of(graph, pid), 6, exclude=pid)))) <= 4
    )
    return prefix, keep, anchor


def test_cpc_filter_returns_k_in_exact_order_and_all_when_fewer_exist(graph: Graph) -> None:
    prefix, keep, anchor = filter_with_few_near(graph)
    expected = exact(graph, vector_of(graph, anchor), 5, keep, exclude=anchor)
    # Default settings: on a graph this small the filter is judged selective -> exact scan.
    lookup = similar(graph.store, patent=anchor, k=5, filters=Filters(cpc=(prefix,)))
    assert lookup.method == "exact"
    assert_same(lookup.hits, expected)
    # Through the index only (no filter is judged selective), one candidate per result at first:
    # several rounds, the same answer.
    lookup = similar(graph.store, patent=anchor, k=5, filters=Filters(cpc=(prefix,)), overfetch=1, exact_share=10.0)
    assert lookup.method == "index" and lookup.rounds >= 2 and lookup.fetched > 6
    assert_same(lookup.hits, expected)
    # A prefix held by fewer patents than k: every one of them, nearest first.
    rare = prefix_held_by(graph, 1, 3)
    keep_rare = lambda pid: any(c.startswith(rare) for c in graph.codes[pid])  # noqa: E731
    expected = exact(graph, vector_of(graph, anchor), 10, keep_rare, exclude=anchor)
    assert_same(similar(graph.store, patent=anchor, k=10, filters=Filters(cpc=(rare,))).hits, expected)


def test_index_fetch_is_capped_and_the_exact_scan_answers_beyond(graph: Graph) -> None:
    prefix, keep, anchor = filter_with_few_near(graph)
    expected = exact(graph, vector_of(graph, anchor), 5, keep, exclude=anchor)
    # No share of the graph is judged too much (exact_share 10), but the second round would ask
    # for at least 12 candidates (1.5 * 5 * 6 / 4 survivors): past the cap of 11, exact scan.
    lookup = similar(
        graph.store, patent=anchor, k=5, filters=Filters(cpc=(prefix,)), overfetch=1, exact_share=10.0, max_fetch=11
    )
    assert (lookup.method, lookup.rounds, lookup.fetched) == ("exact", 1, 6)
    assert_same(lookup.hits, expected)
    # A first round already past the cap does not ask the index at all.
    lookup = similar(graph.store, patent=anchor, k=5, filters=Filters(cpc=(prefix,)), exact_share=10.0, max_fetch=19)
    assert (lookup.method, lookup.rounds) == ("exact", 0)
    assert_same(lookup.hits, expected)


def test_index_lookups_find_the_exact_scans_ten_nearest(graph: Graph) -> None:
    """recall@10 of the index path of `similar` against its exact scan, over every patent, and
    the similarities the index path reports are the exact ones."""
    found = 0
    for pid in graph.ids:
        by_index = similar(graph.store, patent=pid, k=10)
        by_scan = similar(graph.store, patent=pid, k=10, exact=True)
        assert by_index.method == "index" and by_scan.method == "exact" and len(by_scan.hits) == 10
        found += len({h.id for h in by_index.hits} & {h.id for h in by_scan.hits})
        scan = {h.id: h.similarity for h in by_scan.hits}
        assert all(h.similarity == pytest.approx(scan[h.id], abs=1e-5) for h in by_index.hits if h.id in scan)
    assert found / (10 * len(graph.ids)) >= 0.95


def test_same_subclass_citations_and_dates(graph: Graph) -> None:
    anchor = max(graph.ids, key=lambda pid: len(graph.cited[pid]))
    assert graph.cited[anchor], "the fixture has citations"
    dates = sorted(d for d in graph.dates.values() if d)
    date_from, date_to = dates[len(dates) // 4], dates[3 * len(dates) // 4]
    subclasses = {c[:4] for c in graph.codes[anchor]}
    filters = Filters(same_subclass=True, exclude_cited=True, date_from=date_from, date_to=date_to)

    def keep(pid: str) -> bool:
        return (
            any(c[:4] in subclasses for c in graph.codes[pid])
            and pid not in graph.cited[anchor]
            and graph.dates[pid] is not None
            and date_from <= graph.dates[pid] <= date_to
        )

    lookup = similar(graph.store, patent=anchor, k=5, filters=filters)
    assert_same(lookup.hits, exact(graph, vector_of(graph, anchor), 5, keep, exclude=anchor))
    unfiltered = {h.id for h in similar(graph.store, patent=anchor, k=len(graph.ids)).hits}
    assert graph.cited[anchor] & unfiltered  # without --exclude-cited the cited patents are there
    # A CPC prefix and the same subclass together, by the index and by the exact scan.
    section = sorted(subclasses)[0][0]
    both = Filters(cpc=(section,), same_subclass=True)

    def keep_both(pid: str) -> bool:
        return any(c.startswith(section) for c in graph.codes[pid]) and any(
            c[:4] in subclasses for c in graph.codes[pid]
        )

    expected = exact(graph, vector_of(graph, anchor), 6, keep_both, exclude=anchor)
    assert_same(similar(graph.store, patent=anchor, k=6, filters=both).hits, expected)
    assert_same(similar(graph.store, patent=anchor, k=6, filters=both, exact=True).hits, expected)


def test_text_query_is_encoded_by_the_graphs_model(graph: Graph) -> None:
    model = query_model(graph.store, graph.model_path)
    pid = graph.ids[3]
    text = model.text.text(graph.titles[pid], graph.abstracts[pid])
    vector = encode_query(model, text)
    hits = similar(graph.store, vector=vector, k=3).hits
    assert hits[0].id == pid and hits[0].similarity == pytest.approx(1.0, abs=1e-4)
    assert_same(hits, exact(graph, vector, 3))
    assert query_model(graph.store, None).id == model.id  # `patentcl embed` recorded the model's folder


def test_bad_requests_say_what_is_wrong(graph: Graph) -> None:
    with pytest.raises(SearchError, match="no patent 'X123'"):
        similar(graph.store, patent="X123")
    with pytest.raises(SearchError, match="--same-subclass .* give a patent id"):
        similar(graph.store, vector=graph.vectors[0], filters=Filters(same_subclass=True))
    with pytest.raises(SearchError, match="not a CPC code or prefix"):
        Filters(cpc=("neural",))
    with pytest.raises(SearchError, match="is after --date-to"):
        Filters(date_from="2024-01-01", date_to="2020-01-01")
    with pytest.raises(SearchError, match="not a date"):
        Filters(date_from="2024-13-01")


def run_cli(graph: Graph, *args: str) -> str:
    result = CliRunner().invoke(
        main, ["--home", str(graph.settings.home), *args], env=cli_env(graph.settings), catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_cli_answer_equals_the_catalogue_query_run_by_hand(graph: Graph) -> None:
    prefix = prefix_held_by(graph, 8, 60)
    answer = json.loads(run_cli(graph, "similar", graph.ids[1], "-k", "4", "--cpc", prefix, "--json"))
    assert len(answer["hits"]) == 4
    query = answer["query"]["query"]  # the catalogue query the CLI's answer came from
    assert query == ("similar_patents" if answer["method"] == "index" else "similar_patents_exact_cpc")
    params = [f"{name}:={json.dumps(value)}" for name, value in answer["params"].items()] + ["vector:=null"]
    by_hand = [
        json.loads(line)
        for line in run_cli(
            graph, "cypher", "--query", query, *sum((["-p", p] for p in params), []), "--json"
        ).splitlines()
    ]
    assert [r["id"] for r in by_hand] == [h["id"] for h in answer["hits"]]
    assert [r["similarity"] for r in by_hand] == pytest.approx([h["similarity"] for h in answer["hits"]])


def test_cli_prints_a_table_and_the_query(graph: Graph) -> None:
    out = CliRunner().invoke(
        main,
        ["--home", str(graph.settings.home), "similar", graph.ids[2], "-k", "3", "--show-query"],
        env=cli_env(graph.settings),
    )
    assert out.exit_code == 0, out.output
    assert "found by vector index" in out.output
    # pasted as printed (the parameters line, then the query), it gives the lookup's answer
    shown = out.output[out.output.index("// search/") :].split("\n\n")[0].splitlines()[1:]
    if graph.settings.engine == "neo4j":
        # Neo4j Browser's `:params {...}` is no Cypher the driver runs: its map literal is
        # evaluated by Neo4j itself, then the query runs with it, as Browser would.
        assert shown[0].startswith(":params {") and "db.index.vector.queryNodes" in out.output
        params = graph.store.run_text(f"RETURN {shown[0][len(':params ') :]} AS params", write=False)[0]["params"]
        by_hand = graph.store.run_text("\n".join(shown[1:]), params, write=False)
    else:
        assert "CYPHER `id`=" in out.output and "db.idx.vector.queryNodes" in out.output
        by_hand = graph.store.run_text("\n".join(shown), write=False)
    expected = similar(graph.store, patent=graph.ids[2], k=3).hits
    assert [r["id"] for r in by_hand] == [h.id for h in expected]


def test_suggestions_are_the_neighbours_vote_with_titles(graph: Graph) -> None:
    pid = graph.ids[4]
    result = suggest_cpc(graph.store, patent=pid, level="subclass", k=6, threshold=0.0)
    neighbours = exact(graph, vector_of(graph, pid), 6, exclude=pid)
    expected = vote(((s, graph.codes[n]) for n, s in neighbours), "subclass")
    assert [s.code for s in result.suggestions] == list(expected)
    assert [s.score for s in result.suggestions] == pytest.approx(list(expected.values()), abs=1e-5)
    assert all(s.title for s in result.suggestions)  # the fixture's g_cpc_title names its subclasses
    assert not result.calibrated
    strict = suggest_cpc(graph.store, patent=pid, level="subclass", k=6, threshold=0.99)
    assert len(strict.suggestions) >= 1 and strict.suggestions[0].code == result.suggestions[0].code


def test_calibration_is_stored_with_the_model_and_used(graph: Graph, tmp_path: Path) -> None:
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    with pytest.raises(Exception, match="did not make the graph's vectors|cannot load model"):
        calibrate(graph.store, graph.ids[:30], model_dir=model_dir)  # an empty folder is not the model
    chosen = calibrate(graph.store, graph.ids[:30], levels=("subclass", "main_group"))
    assert chosen["validation_patents"] == 30
    assert stored_calibration(graph.store) == chosen
    point = chosen["levels"]["subclass"]
    result = suggest_cpc(graph.store, patent=graph.ids[40], level="subclass")
    assert result.calibrated and (result.k, result.threshold) == (point["k"], point["threshold"])
    assert not suggest_cpc(graph.store, patent=graph.ids[40], level="subgroup").calibrated


def test_bench_reports_latency_and_recall(graph: Graph) -> None:
    from patentcl.search.bench import run_benchmark

    prefix = prefix_held_by(graph, 8, 60)
    report = run_benchmark(graph.store, queries=4, k=3, model=graph.model_path, cpc=(prefix,))
    rows = {r["kind"]: r for r in report["rows"]}
    assert set(rows) == {"id", "id+cpc", "id+subclass", "text", "text+cpc", "text encoding only"}
    for kind in ("id", "id+cpc", "id+subclass", "text", "text+cpc"):
        assert rows[kind]["recall@3"] >= 0.9  # 100 vectors: the HNSW index is all but exhaustive
        assert 0 < rows[kind]["p50_ms"] <= rows[kind]["p95_ms"]
