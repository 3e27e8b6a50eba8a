"""`patentcl serve`'s JSON API on a real sample graph (loaded, embedded with all-MiniLM-L6-v2), on
both engines: every answer is checked against the search functions the CLI uses and the graph."""

from __future__ import annotations

import base64
import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from helpers import Graphs, load_sample_with_vectors
from patentcl.cli import main
from patentcl.config import Settings
from patentcl.graph import GraphStore
from patentcl.search.query_model import encode_query
from patentcl.search.similar import Filters, similar
from patentcl.search.suggest import suggest_cpc
from patentcl.search.web.app import MAX_BODY, MAX_K, create_app

PATENTS = 60


@dataclass
class Web:
    settings: Settings
    client: TestClient
    store: GraphStore
    rows: dict[str, dict]  # evaluation_patents rows by id: codes, cited (either way), abstract


@pytest.fixture(scope="module")
def web(graphs: Graphs, minilm_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    settings = graphs.new("web")
    load_sample_with_vectors(settings, minilm_path, tmp_path_factory.mktemp("web_tables"), patents=PATENTS, seed=5)
    with TestClient(create_app(settings)) as client:
        store = client.app.state.backend.store
        rows = {r["id"]: r for r in store.run("evaluation_patents", {"skip": 0, "limit": 1000})}
        yield Web(settings, client, store, rows)


def cited_patent(web: Web) -> str:
    return next(pid for pid, row in sorted(web.rows.items()) if row["cited"] and row["codes"])


def test_health_reports_engine_vectors_and_text_search(web: Web) -> None:
    answer = web.client.get("/api/health").json()
    assert answer["status"] == "ok" and answer["engine"] == web.store.engine
    assert answer["patents_with_vectors"] == PATENTS and answer["text_search"] is True


def test_patent_view_has_properties_codes_paths_and_citations(web: Web) -> None:
    pid = cited_patent(web)
    answer = web.client.get(f"/api/patents/{pid}").json()
    row = web.rows[pid]
    assert answer["id"] == pid and answer["title"] == row["title"] and answer["abstract"] == row["abstract"]
    assert [c["code"] for c in answer["codes"]] == sorted(row["codes"])
    for code in answer["codes"]:
        path = [step["code"] for step in code["path"]]
        assert path[0] == code["code"][0] and path[-1] == code["code"] and path[2] == code["code"][:4]
        assert [step["level"] for step in code["path"]][:3] == ["section", "class", "subclass"]
    assert {c["id"] for c in answer["cites"] + answer["cited_by"]} == set(row["cited"])
    assert answer["url"] == f"https://patents.google.com/patent/{pid if pid[:2].isalpha() else 'US' + pid}/en"


def test_unknown_patent_is_404_with_a_json_error(web: Web) -> None:
    for path in ("/api/patents/US0000000X9", "/api/similar?id=US0000000X9"):
        response = web.client.get(path)
        assert response.status_code == 404 and "no patent" in response.json()["error"]


def test_similar_by_id_is_the_cli_lookup_with_marks_and_titles(web: Web) -> None:
    pid = cited_patent(web)
    answer = web.client.get("/api/similar", params={"id": pid, "k": 8}).json()
    expected = similar(web.store, patent=pid, k=8).hits
    assert [h["id"] for h in answer["hits"]] == [h.id for h in expected]
    assert [h["similarity"] for h in answer["hits"]] == pytest.approx([h.similarity for h in expected])
    cited = set(web.rows[pid]["cited"])
    assert all((h["citation"] is not None) == (h["id"] in cited) for h in answer["hits"])
    assert all(set(h["shared_codes"]) == set(h["codes"]) & set(web.rows[pid]["codes"]) for h in answer["hits"])
    assert {c for h in answer["hits"] for c in h["codes"]} <= set(answer["titles"]) | _untitled(web)
    assert answer["anchor"]["id"] == pid and answer["query"]["query"] == "similar_patents"


def _untitled(web: Web) -> set[str]:
    """Codes the graph holds no CPC node (so no title) for."""
    codes = {c for row in web.rows.values() for c in row["codes"]}
    return codes - {r["code"] for r in web.store.run("cpc_titles", {"codes": sorted(codes)})}


def test_similar_with_a_filter_gives_k_when_k_pass(web: Web) -> None:
    subclass, holders = Counter(
        c[:4] for row in web.rows.values() for c in set(c[:4] for c in row["codes"])
    ).most_common(1)[0]
    pid = next(p for p, row in sorted(web.rows.items()) if not any(c.startswith(subclass) for c in row["codes"]))
    k = min(5, holders)
    answer = web.client.get("/api/similar", params={"id": pid, "k": k, "cpc": subclass.lower()}).json()
    assert len(answer["hits"]) == k
    assert all(any(c.startswith(subclass) for c in h["codes"]) for h in answer["hits"])
    expected = similar(web.store, patent=pid, k=k, filters=Filters(cpc=(subclass,)), exact=True).hits
    assert [h["id"] for h in answer["hits"]] == [h.id for h in expected]


def test_similar_by_text_and_suggest_cpc_use_the_graphs_model(web: Web) -> None:
    pid = cited_patent(web)
    text = web.rows[pid]["abstract"] or web.rows[pid]["title"]
    encoder = web.client.app.state.backend.encoder
    answer = web.client.get("/api/similar", params={"text": text, "k": 5}).json()
    expected = similar(web.store, vector=encode_query(encoder, text), k=5).hits
    assert [h["id"] for h in answer["hits"]] == [h.id for h in expected] and answer["anchor"] is None
    suggested = web.client.post("/api/suggest-cpc", json={"text": text, "level": "main_group", "k": 7}).json()
    reference = suggest_cpc(web.store, vector=encode_query(encoder, text), level="main_group", k=7)
    assert [s["code"] for s in suggested["suggestions"]] == [s.code for s in reference.suggestions]
    assert suggested["k"] == 7 and suggested["level"] == "main_group"
    assert [n["id"] for n in suggested["neighbours"]] == [i for i, _ in reference.neighbours]


def test_downloads_carry_the_query_that_produced_them(web: Web) -> None:
    pid = cited_patent(web)
    params = {"id": pid, "k": 4, "date_from": "1990-01-01"}
    as_json = web.client.get("/api/similar", params=params).json()
    query = web.store.catalogue.get(as_json["query"]["query"], as_json["query"]["version"], web.store.engine)
    assert as_json["query"]["sha256"] == query.sha256 and as_json["params"]["date_from"] == "1990-01-01"
    response = web.client.get("/api/similar", params={**params, "format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    lines = response.text.splitlines()
    assert lines[0] == f"# query: {query.name} v{query.version} ({query.dialect}) sha256={query.sha256}"
    assert '"date_from": "1990-01-01"' in lines[1] and lines[2].startswith("# request:")
    table = list(csv.DictReader(io.StringIO("\n".join(lines[3:]))))
    assert [r["id"] for r in table] == [h["id"] for h in as_json["hits"]]


def test_show_query_is_the_catalogue_text_with_its_parameters(web: Web) -> None:
    pid = cited_patent(web)
    answer = web.client.get("/api/similar", params={"id": pid, "k": 3, "show_query": "true"}).json()
    query = web.store.catalogue.get(answer["query"]["query"], answer["query"]["version"], web.store.engine)
    assert answer["cypher"].startswith(f"// {query.group}/{query.path.name}\n")
    assert query.text.rstrip() in answer["cypher"] and pid in answer["cypher"]


@pytest.mark.parametrize(
    "params, status, words",
    [
        ({"k": 3}, 400, "give id or text"),
        ({"id": "X", "text": "neural network", "k": 3}, 400, "give id or text"),
        ({"text": "neural network", "k": 0}, 422, "k:"),
        ({"text": "neural network", "k": MAX_K + 1}, 422, "k:"),
        ({"text": "neural network", "date_from": "2020-13-01"}, 400, "is not a date"),
        ({"text": "neural network", "cpc": "G06N;DROP"}, 400, "is not a CPC code"),
        ({"text": "neural network", "same_subclass": "true"}, 400, "give a patent id"),
        ({"text": "x" * 20_001}, 422, "text:"),
    ],
)
def test_bad_similar_requests_are_4xx_with_one_message(web: Web, params: dict, status: int, words: str) -> None:
    response = web.client.get("/api/similar", params=params)
    assert response.status_code == status and words in response.json()["error"]


def test_bad_suggest_requests_are_4xx(web: Web) -> None:
    assert web.client.post("/api/suggest-cpc", json={"text": "a network", "level": "section"}).status_code == 422
    assert web.client.post("/api/suggest-cpc", json={"text": ""}).status_code == 422
    too_big = web.client.post(
        "/api/suggest-cpc",
        content=b'{"text": "' + b"x" * MAX_BODY + b'"}',
        headers={"content-type": "application/json"},
    )
    assert too_big.status_code == 413 and "bytes" in too_big.json()["error"]


def test_the_api_runs_no_request_supplied_cypher(web: Web) -> None:
    spec = web.client.get("/openapi.json").json()
    assert set(spec["paths"]) == {"/api/health", "/api/patents/{patent_id}", "/api/similar", "/api/suggest-cpc"}
    names = {p["name"] for ops in spec["paths"].values() for op in ops.values() for p in op.get("parameters", [])}
    assert not names & {"cypher", "query", "statement"}
    assert web.client.get("/docs").status_code == 200


def test_a_token_is_required_on_every_request(web: Web) -> None:
    app = create_app(web.settings, token="s3cret-Token", backend=web.client.app.state.backend)
    with TestClient(app) as client:
        for path in ("/", "/api/health", "/static/app.js"):
            response = client.get(path)
            assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Basic")
            assert "s3cret" not in response.text
        assert client.get("/api/health", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/api/health", headers={"Authorization": "s3cret-Token"}).status_code == 401
        assert client.get("/api/health", headers={"Authorization": "Bearer s3cret-Token"}).status_code == 200
        basic = base64.b64encode(b"analyst:s3cret-Token").decode()
        assert client.get("/", headers={"Authorization": f"Basic {basic}"}).status_code == 200
        wrong = base64.b64encode(b"analyst:s3cret-Tokem").decode()
        assert client.get("/", headers={"Authorization": f"Basic {wrong}"}).status_code == 401


def test_serve_refuses_a_non_loopback_address_without_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PATENTCL_TOKEN", raising=False)
    for host in ("0.0.0.0", "192.168.1.20", "example.org"):
        result = CliRunner().invoke(main, ["serve", "--host", host], standalone_mode=True)
        assert result.exit_code == 2 and "give --token" in result.output
