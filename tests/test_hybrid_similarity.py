"""Hybrid similarity (`similar --graph-weight W`, `suggest-cpc --graph-weight W`): a real graph
(a PatentsView-format fixture loaded and embedded with all-MiniLM-L6-v2) whose patents get known
graph vectors, written through a test query, so every answer is checked against numpy. On
FalkorDB, which has no Graph Data Science, the features stop with one clear line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from helpers import TEST_CYPHER, Graphs, cli_env, load_sample_with_vectors
from patentcl.catalogue import parse_file
from patentcl.cli import main, run
from patentcl.config import Settings
from patentcl.cpc import at_level
from patentcl.evaluators.cpc_knn import (
    KS,
    choose_operating_point,
    classification_scores,
    label_matrix,
    predicted_matrix,
)
from patentcl.graph import GraphStore, open_store
from patentcl.graph.gds import GdsUnavailable
from patentcl.graph.vector_index import stored_vectors
from patentcl.search.hybrid_cpc import measure
from patentcl.search.similar import Filters, SearchError, hybrid_similar, similar
from patentcl.search.suggest import suggest_cpc

DIMENSION = 16
WITHOUT_GRAPH_VECTOR = 8  # the last patents by id get no graph vector


@dataclass
class Graph:
    settings: Settings
    store: GraphStore
    ids: list[str]
    text: dict[str, np.ndarray]
    graph: dict[str, np.ndarray]  # patents with a graph vector; one of them is all zeros
    codes: dict[str, list[str]]
    cited: dict[str, set[str]]
    dates: dict[str, str | None]


def write_graph_vectors(store: GraphStore, vectors: dict[str, np.ndarray]) -> None:
    query = parse_file(TEST_CYPHER / "set_graph_embeddings.v1.cypher", TEST_CYPHER)
    rows = [{"id": pid, "vector": [float(x) for x in vector]} for pid, vector in vectors.items()]
    assert next(store.run(query, {"rows": rows, "dimension": DIMENSION}))["written"] == len(rows)


@pytest.fixture(scope="module")
def graph(graphs: Graphs, engine: str, minilm_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Graph]:
    if engine != "neo4j":
        pytest.skip("hybrid similarity runs on Neo4j only (the FalkorDB half checks the message)")
    settings = graphs.new("hybrid")
    load_sample_with_vectors(settings, minilm_path, tmp_path_factory.mktemp("patentsview"))
    with open_store(settings) as store:
        rows = []
        while page := list(store.run("evaluation_patents", {"skip": len(rows), "limit": 1000})):
            rows.extend(page)
        text = {pid: vector for pid, (vector, _) in stored_vectors(store, [r["id"] for r in rows]).items()}
        rows = [r for r in rows if r["id"] in text]
        ids = [r["id"] for r in rows]
        rng = np.random.default_rng(17)
        graph_vectors = {pid: rng.normal(size=DIMENSION) for pid in ids[:-WITHOUT_GRAPH_VECTOR]}
        graph_vectors[ids[5]] = np.zeros(DIMENSION)  # FastRP's vector for a patent with no relationship
        write_graph_vectors(store, graph_vectors)
        yield Graph(
            settings,
            store,
            ids,
            text,
            graph_vectors,
            {r["id"]: r["codes"] for r in rows},
            {r["id"]: set(r["cited"]) for r in rows},
            {r["id"]: r["date"] for r in rows},
        )


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / norms if norms else 0.0  # a zero vector has no direction: cosine 0


def expected(
    g: Graph, anchor: str, weight: float, k: int, keep: Callable[[str], bool] = lambda pid: True
) -> list[tuple[str, float, float, float]]:
    """(id, hybrid score, text cosine, graph cosine) of the k best patents by numpy, among those
    holding both vectors that `keep` accepts."""
    scored = []
    for pid in g.ids:
        if pid != anchor and pid in g.graph and keep(pid):
            text, graph = cosine(g.text[pid], g.text[anchor]), cosine(g.graph[pid], g.graph[anchor])
            scored.append((pid, (1 - weight) * text + weight * graph, text, graph))
    return sorted(scored, key=lambda t: (-t[1], t[0]))[:k]


def assert_same(hits, wanted: list[tuple[str, float, float, float]]) -> None:
    assert [h.id for h in hits] == [pid for pid, *_ in wanted]
    assert [h.similarity for h in hits] == pytest.approx([s for _, s, _, _ in wanted], abs=1e-5)
    assert [h.text_similarity for h in hits] == pytest.approx([t for _, _, t, _ in wanted], abs=1e-5)
    assert [h.graph_similarity for h in hits] == pytest.approx([c for *_, c in wanted], abs=1e-5)


def anchors(g: Graph) -> list[str]:
    return [pid for pid in g.ids if pid in g.graph and g.graph[pid].any()][:4]


def invoke(settings: Settings, *args: str) -> str:
    result = CliRunner().invoke(
        main, ["--home", str(settings.home), *args], env=cli_env(settings), catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def one_line_error(settings: Settings, *args: str) -> str:
    """The message of a command that must fail with one line and exit code 2."""
    with CliRunner().isolation(env=cli_env(settings)) as (stdout, stderr, _), pytest.raises(SystemExit) as exit_:
        run(["--home", str(settings.home), *args])
    output = stdout.getvalue().decode() + stderr.getvalue().decode()
    assert exit_.value.code == 2, output
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    return lines[0]


def test_weight_zero_is_todays_answer(graph: Graph) -> None:
    prefix = min(c[:4] for codes in graph.codes.values() for c in codes)
    for pid in anchors(graph):
        for filters in (Filters(), Filters(cpc=(prefix,)), Filters(same_subclass=True, exclude_cited=True)):
            today = similar(graph.store, patent=pid, k=5, filters=filters)
            zero = similar(graph.store, patent=pid, k=5, filters=filters, graph_weight=0.0)
            assert zero == today and zero.method != "hybrid"
    assert invoke(graph.settings, "similar", graph.ids[1], "-k", "4", "--json", "--graph-weight", "0") == invoke(
        graph.settings, "similar", graph.ids[1], "-k", "4", "--json"
    )
    # the hybrid query at W = 0 ranks by text cosine alone, among the patents holding both vectors
    pid = anchors(graph)[0]
    assert_same(hybrid_similar(graph.store, patent=pid, k=8, graph_weight=0.0).hits, expected(graph, pid, 0.0, 8))


def test_weight_one_ranks_by_graph_cosine(graph: Graph) -> None:
    for pid in anchors(graph):
        lookup = similar(graph.store, patent=pid, k=10, graph_weight=1.0)
        assert lookup.method == "hybrid" and lookup.query["query"] == "similar_patents_hybrid"
        assert_same(lookup.hits, expected(graph, pid, 1.0, 10))
    # every patent but the query is ranked when k asks for all: those without a graph vector never are
    pid = anchors(graph)[0]
    hits = similar(graph.store, patent=pid, k=1000, graph_weight=1.0).hits
    assert {h.id for h in hits} == set(graph.graph) - {pid}
    assert next(h.graph_similarity for h in hits if h.id == graph.ids[5]) == 0.0  # the zero vector


@pytest.mark.parametrize("weight", [0.3, 0.75])
def test_intermediate_weight_matches_numpy(graph: Graph, weight: float) -> None:
    for pid in anchors(graph):
        assert_same(similar(graph.store, patent=pid, k=10, graph_weight=weight).hits, expected(graph, pid, weight, 10))


def test_filters_give_k_results_in_score_order(graph: Graph) -> None:
    pid = anchors(graph)[1]
    subclasses = {c[:4] for c in graph.codes[pid]}
    prefix = max(
        {c[:4] for codes in graph.codes.values() for c in codes},
        key=lambda p: sum(any(c.startswith(p) for c in codes) for codes in graph.codes.values()),
    )
    dates = sorted(d for d in graph.dates.values() if d)
    cases: list[tuple[Filters, Callable[[str], bool]]] = [
        (Filters(cpc=(prefix,)), lambda n: any(c.startswith(prefix) for c in graph.codes[n])),
        (Filters(same_subclass=True), lambda n: any(c[:4] in subclasses for c in graph.codes[n])),
        (
            Filters(cpc=(prefix,), same_subclass=True),
            lambda n: (
                any(c.startswith(prefix) for c in graph.codes[n]) and any(c[:4] in subclasses for c in graph.codes[n])
            ),
        ),
        (
            Filters(exclude_cited=True, date_from=dates[len(dates) // 4], date_to=dates[-len(dates) // 4]),
            lambda n: (
                n not in graph.cited[pid]
                and dates[len(dates) // 4] <= (graph.dates[n] or "") <= dates[-len(dates) // 4]
            ),
        ),
    ]
    for filters, keep in cases:
        want = expected(graph, pid, 0.5, 5, keep)
        hits = similar(graph.store, patent=pid, k=5, filters=filters, graph_weight=0.5).hits
        assert len(hits) == min(5, sum(map(keep, set(graph.graph) - {pid})))
        assert_same(hits, want)
        assert [h.similarity for h in hits] == sorted((h.similarity for h in hits), reverse=True)
    # fewer pass than asked: all of them, best first
    few = Filters(cpc=(min(subclasses),), date_from=dates[-10])

    def keep(n: str) -> bool:
        return any(c.startswith(min(subclasses)) for c in graph.codes[n]) and (graph.dates[n] or "") >= dates[-10]

    assert_same(
        similar(graph.store, patent=pid, k=50, filters=few, graph_weight=0.5).hits, expected(graph, pid, 0.5, 50, keep)
    )


def test_cli_shows_both_cosines_and_the_hybrid_query(graph: Graph) -> None:
    pid = anchors(graph)[2]
    answer = json.loads(invoke(graph.settings, "similar", pid, "-k", "4", "--graph-weight", "0.4", "--json"))
    want = expected(graph, pid, 0.4, 4)
    assert [h["id"] for h in answer["hits"]] == [w[0] for w in want]
    assert [h["text_similarity"] for h in answer["hits"]] == pytest.approx([w[2] for w in want], abs=1e-5)
    assert [h["graph_similarity"] for h in answer["hits"]] == pytest.approx([w[3] for w in want], abs=1e-5)
    assert answer["method"] == "hybrid" and answer["params"]["graph_weight"] == 0.4
    assert answer["graph_embedding"]["dimension"] == DIMENSION
    out = CliRunner().invoke(
        main,
        ["--home", str(graph.settings.home), "similar", pid, "-k", "4", "--graph-weight", "0.4", "--show-query"],
        env=cli_env(graph.settings),
    )
    assert out.exit_code == 0, out.output
    header = next(line for line in out.stdout.splitlines() if "score" in line)
    assert "text" in header and "graph" in header and "exact hybrid scan" in out.output
    shown = out.output[out.output.index("// search/similar_patents_hybrid") :].split("\n\n")[0].splitlines()[1:]
    params = graph.store.run_text(f"RETURN {shown[0][len(':params ') :]} AS params", write=False)[0]["params"]
    by_hand = graph.store.run_text("\n".join(shown[1:]), params, write=False)
    assert [r["id"] for r in by_hand] == [w[0] for w in want]


def test_web_api_takes_a_graph_weight(graph: Graph) -> None:
    from fastapi.testclient import TestClient

    from patentcl.search.web.app import create_app

    pid = anchors(graph)[0]
    with TestClient(create_app(graph.settings)) as client:
        answer = client.get("/api/similar", params={"id": pid, "k": 4, "graph_weight": 0.4})
        refused = client.get("/api/similar", params={"text": "a neural network", "graph_weight": 0.4})
    assert answer.status_code == 200, answer.text
    assert [h["id"] for h in answer.json()["hits"]] == [w[0] for w in expected(graph, pid, 0.4, 4)]
    assert refused.status_code == 400 and "not a text" in refused.json()["error"]


def test_suggest_cpc_votes_with_hybrid_neighbours(graph: Graph) -> None:
    pid = anchors(graph)[3]
    result = suggest_cpc(graph.store, patent=pid, level="subclass", k=6, threshold=0.0, graph_weight=0.6)
    want = expected(graph, pid, 0.6, 6)
    assert [n for n, _ in result.neighbours] == [w[0] for w in want]
    votes: dict[str, float] = {}
    for n, score, _, _ in want:
        for code in {at_level(c, "subclass") for c in graph.codes[n]}:
            votes[code] = votes.get(code, 0.0) + score
    assert {s.code for s in result.suggestions} == {c for c, v in votes.items() if v > 0}
    answer = json.loads(
        invoke(
            graph.settings,
            "suggest-cpc",
            pid,
            "--level",
            "subclass",
            "-k",
            "6",
            "--threshold",
            "0",
            "--graph-weight",
            "0.6",
            "--json",
        )
    )
    assert answer["graph_weight"] == 0.6
    table = invoke(graph.settings, "suggest-cpc", pid, "--level", "subclass", "-k", "6", "--graph-weight", "0.6")
    assert "neighbours that voted (graph weight 0.6)" in table and all(w[0] in table for w in want)
    assert [n["graph_similarity"] for n in answer["neighbours"]] == pytest.approx([w[3] for w in want], abs=1e-5)


def test_patent_without_graph_vector_and_text_query_are_refused(graph: Graph) -> None:
    with pytest.raises(SearchError, match="has no graph embedding: run `patentcl graph-embed`"):
        similar(graph.store, patent=graph.ids[-1], graph_weight=0.5)
    with pytest.raises(SearchError, match="--graph-weight .* give a patent id, not a text"):
        similar(graph.store, vector=graph.text[graph.ids[0]], graph_weight=0.5)


def test_hybrid_cpc_measurement_matches_numpy_and_flags_leaky_vectors(graph: Graph) -> None:
    with_both = [pid for pid in graph.ids if pid in graph.graph and graph.codes[pid]]
    validation, test = with_both[:20], with_both[20:40]
    report = measure(graph.settings, graph.store, validation, test, [0.0, 0.5], levels=("subclass",), resamples=200)
    assert [(r["graph_weight"], r["level"]) for r in report["rows"]] == [(0.0, "subclass"), (0.5, "subclass")]
    assert report["leak_free"] is False and "optimistic" in report["note"]  # the test vectors left nothing out
    low, high = report["rows"][1]["micro_f1_margin_95"]
    assert low <= report["rows"][1]["micro_f1_margin"] <= high
    # the W = 0.5 row, recomputed from numpy neighbours with the core evaluators
    depth = max(KS)

    def neighbourhoods(patents: list[str]) -> tuple[np.ndarray, np.ndarray, list[list[str]]]:
        found = [expected(graph, pid, 0.5, depth) for pid in patents]
        codes = [graph.codes[n] for row in found for n, *_ in row]
        return (
            np.array([[s for _, s, _, _ in row] for row in found]),
            np.arange(len(codes)).reshape(len(patents), depth),
            codes,
        )

    def level(patents: list[str]) -> list[list[str]]:
        return [sorted({at_level(c, "subclass") for c in graph.codes[p]}) for p in patents]

    sims, idx, codes = neighbourhoods(validation)
    labels = sorted(
        {c for row in level(validation) for c in row} | {at_level(c, "subclass") for cs in codes for c in cs}
    )
    point = choose_operating_point(sims, idx, codes, level(validation), labels, level="subclass")
    test_sims, test_idx, test_codes = neighbourhoods(test)
    zero_codes = [graph.codes[n] for pid in test for n, *_ in expected(graph, pid, 0.0, depth)]
    test_labels = sorted(
        {c for row in level(test) for c in row}
        | {at_level(c, "subclass") for cs in (*test_codes, *zero_codes) for c in cs}
    )
    predicted = predicted_matrix(test_sims, test_idx, test_codes, test_labels, point, "subclass")
    micro = classification_scores(label_matrix(level(test), test_labels), predicted)["micro_f1"]
    assert (report["rows"][1]["k"], report["rows"][1]["micro_f1"]) == (point.k, pytest.approx(micro))


def test_measurement_on_fastrp_vectors_leaves_the_held_out_codes_out(
    graphs: Graphs, engine: str, minilm_path: str, tmp_path: Path
) -> None:
    if engine != "neo4j":
        pytest.skip("GDS runs on Neo4j only (the FalkorDB half checks the message)")
    settings = graphs.new("fastrp")
    load_sample_with_vectors(settings, minilm_path, tmp_path / "tables", patents=80)
    with open_store(settings) as store:
        ids = [r["id"] for r in store.run("evaluation_patents", {"skip": 0, "limit": 1000}) if r["codes"]]
        validation, test = ids[:10], ids[10:20]
        report = measure(settings, store, validation, test, [0.0, 0.5], levels=("subclass",), embed=True, resamples=100)
        assert report["leak_free"] is True and report["note"] is None
        assert report["graph_embedding"]["left_out"] == 20 and report["graph_embedding"]["algorithm"] == "FastRP"
        assert report["test_patents"] == 10 and len(report["rows"]) == 2
        # the vectors graph-embed wrote rank as numpy says
        rows = store.run_text(
            "MATCH (p:Patent) WHERE p.graph_embedding IS NOT NULL "
            "RETURN p.id AS id, p.embedding AS text, p.graph_embedding AS graph",
            write=False,
        )
        g = Graph(
            settings,
            store,
            sorted(r["id"] for r in rows),
            {r["id"]: np.asarray(r["text"]) for r in rows},
            {r["id"]: np.asarray(r["graph"]) for r in rows},
            {},
            {},
            {},
        )
        for pid in test[:3]:
            assert_same(similar(store, patent=pid, k=5, graph_weight=0.5).hits, expected(g, pid, 0.5, 5))


def test_text_query_with_a_graph_weight_is_one_line(settings: Settings) -> None:
    for command in ("similar", "suggest-cpc"):
        line = one_line_error(settings, command, "--text", "a neural network", "--graph-weight", "0.5")
        assert "--graph-weight compares graph embeddings" in line and "not a text" in line


def test_without_graph_embeddings_the_message_says_what_is_needed(
    graphs: Graphs, engine: str, minilm_path: str, tmp_path: Path
) -> None:
    settings = graphs.new("nographvectors")
    load_sample_with_vectors(settings, minilm_path, tmp_path / "tables", patents=12)
    with open_store(settings) as store:
        pid = next(store.run("evaluation_patents", {"skip": 0, "limit": 1}))["id"]
        if engine != "neo4j":  # even with graph vectors, FalkorDB cannot make or rank them
            write_graph_vectors(store, {pid: np.ones(DIMENSION)})
        with pytest.raises(GdsUnavailable):
            similar(store, patent=pid, graph_weight=0.5)
        if engine != "neo4j":
            with pytest.raises(GdsUnavailable, match="needs Neo4j with Graph Data Science"):
                measure(settings, store, [pid], [pid], [0.0, 0.5])
    for command in ("similar", "suggest-cpc"):
        line = one_line_error(settings, command, pid, "--graph-weight", "0.5")
        if engine == "neo4j":
            assert "needs graph embeddings" in line and "run `patentcl graph-embed`" in line
        else:
            assert "needs Neo4j with Graph Data Science" in line and "patentcl graph start --engine neo4j" in line
