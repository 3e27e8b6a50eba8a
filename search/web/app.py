"""`patentcl serve`: the web page and its JSON API, over the same search code as the CLI.

One graph store and one query model serve every request, read-only: the store's clients are
thread-safe (FastAPI runs the endpoints on a thread pool), the encoder runs one text at a time.
The API only runs catalogue queries; request values reach them as parameters.
"""

from __future__ import annotations

import base64
import binascii
import csv
import hmac
import io
import json
import re
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from patentcl.config import Settings
from patentcl.cpc import at_level
from patentcl.errors import GraphUnavailableError, PatentclError
from patentcl.evaluators.votes import VOTE_LEVELS
from patentcl.graph import GraphStore, open_store
from patentcl.search.similar import Filters, SearchError, browser_query, find_patent, parse_cpc, similar

STATIC = Path(__file__).resolve().parent / "static"
MAX_K = 100  # results per request: a page of neighbours, not a dump of the graph
MAX_TEXT = 20_000  # characters of query text (a long abstract or a claim set)
MAX_BODY = 64 * 1024  # bytes of request body
GOOGLE_PATENTS = "https://patents.google.com/patent/{id}/en"
_COUNTRY_PREFIXED = re.compile(r"^[A-Z]{2}\d")
CPC_PATH_LEVELS = ("section", "class", "subclass", "group", "subgroup")


@dataclass
class Backend:
    """What every request shares: the graph and the model that encodes text queries."""

    store: GraphStore
    encoder: Any | None  # patentcl.encoding.EmbeddingModel; None: text queries are off
    encoder_problem: str | None  # why they are off
    encode_lock: threading.Lock
    # CPC titles are reference data that a read-only server never changes: each is read once
    titles: dict[str, str | None] = field(default_factory=dict)

    def titles_of(self, codes: set[str]) -> dict[str, str | None]:
        if missing := sorted(codes - self.titles.keys()):
            found = {r["code"]: r["title"] for r in self.store.run("cpc_titles", {"codes": missing})}
            self.titles.update({code: found.get(code) for code in missing})
        return {code: self.titles[code] for code in codes}

    def encode(self, text: str) -> Any:
        from patentcl.search.query_model import encode_query

        if self.encoder is None:
            raise TextSearchOff(self.encoder_problem or "no query model")
        with self.encode_lock:
            return encode_query(self.encoder, text)


class TextSearchOff(PatentclError):
    """A text query, but the server has no model for the graph's vectors."""


@contextmanager
def open_backend(settings: Settings, model: str | None = None) -> Iterator[Backend]:
    """Opens the graph and loads the query model once. A model named with `model` must load; without
    one, the model the graph recorded is tried, and if there is none, text queries are off (the
    page and the searches by patent still work)."""
    from patentcl.search.query_model import query_model

    with open_store(settings) as store:
        encoder, problem = None, None
        try:
            encoder = query_model(store, model)
        except PatentclError as exc:
            if model is not None:
                raise
            problem = str(exc)
        yield Backend(store, encoder, problem, threading.Lock())


class SuggestRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="An abstract, a claim, a description.")
    level: Literal[VOTE_LEVELS] = "subgroup"  # type: ignore[valid-type]
    k: int | None = Field(default=None, ge=1, le=MAX_K, description="Neighbours that vote (default: calibrated).")


class Guard:
    """ASGI middleware: the token on every request (when one is set) and the request-size cap.

    The token comes as `Authorization: Bearer TOKEN` (programs) or as the password of HTTP Basic
    (browsers ask for it on the 401 and send it on every later request, the page's API calls too).
    """

    def __init__(self, app: Any, token: str | None):
        self.app = app
        self.token = token.encode() if token else None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v for k, v in scope["headers"]}
        if self.token is not None and not self._authorised(headers.get("authorization", b"")):
            await _send_json(
                send,
                401,
                {"error": "a valid token is required (Authorization: Bearer TOKEN)"},
                ((b"www-authenticate", b'Basic realm="patentcl"'),),
            )
            return
        if scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            length = headers.get("content-length")
            if length is None or not length.isdigit():
                await _send_json(send, 411, {"error": "a request body needs a Content-Length"})
                return
            if int(length) > MAX_BODY:
                await _send_json(send, 413, {"error": f"the request body is over {MAX_BODY} bytes"})
                return
        await self.app(scope, receive, send)

    def _authorised(self, header: bytes) -> bool:
        scheme, _, value = header.partition(b" ")
        if scheme.lower() == b"basic":
            try:
                value = base64.b64decode(value.strip(), validate=True).partition(b":")[2]
            except (binascii.Error, ValueError):
                return False
        elif scheme.lower() != b"bearer":
            return False
        return hmac.compare_digest(value.strip(), self.token or b"")


async def _send_json(send: Any, status: int, body: dict[str, Any], extra: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()), *extra],
        }
    )
    await send({"type": "http.response.body", "body": data})


def google_patents_url(patent_id: str) -> str:
    """The patent's public page. PatentsView ids are US numbers without the country (9975943,
    D810637): Google Patents wants it in front."""
    return GOOGLE_PATENTS.format(id=patent_id if _COUNTRY_PREFIXED.match(patent_id) else f"US{patent_id}")


def cpc_path(code: str) -> list[tuple[str, str]]:
    """(level, code) from the section down to `code`: G, G06, G06N, G06N3/00, G06N3/084."""
    steps = [("section", code[:1]), ("class", code[:3]), ("subclass", code[:4])]
    if "/" in code:
        group = at_level(code, "main_group")
        steps += [("group", group)] + ([("subgroup", code)] if code != group else [])
    return steps


def _patent(store: GraphStore, key: str) -> dict[str, Any]:
    try:
        anchor = find_patent(store, key)
    except SearchError as exc:
        raise NotFound(str(exc)) from None
    row = next(iter(store.run("patent_view", {"id": anchor["id"]})))
    citations = sorted(row.pop("citations"), key=lambda c: (c["date"] or "", c["id"]))
    brief = [({key: c[key] for key in ("id", "title", "date")}, c["cites"]) for c in citations]
    return {**row, "cites": [c for c, out in brief if out], "cited_by": [c for c, out in brief if not out]}


class NotFound(PatentclError):
    """The request names a patent the graph does not hold."""


def create_app(
    settings: Settings, *, model: str | None = None, token: str | None = None, backend: Backend | None = None
) -> FastAPI:
    """The app over the graph of `settings`. Without `backend` it opens one at start-up (and closes
    it at shut-down); `token`: required on every request."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with ExitStack() as stack:
            app.state.backend = backend or stack.enter_context(open_backend(settings, model))
            yield

    app = FastAPI(
        title="patentcl",
        summary="Patent similarity search and CPC suggestions over the patent graph.",
        lifespan=lifespan,
    )
    app.add_middleware(Guard, token=token)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in exc.errors()]
        return JSONResponse({"error": "; ".join(problems)}, status_code=422)

    @app.exception_handler(PatentclError)
    async def refused(request: Request, exc: PatentclError) -> JSONResponse:
        if isinstance(exc, NotFound):
            return error(404, str(exc))
        if isinstance(exc, TextSearchOff):
            return error(409, f"text search is off on this server: {exc}")
        if isinstance(exc, GraphUnavailableError):
            return error(503, str(exc))
        return error(400, str(exc))

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/api/health")
    def health(request: Request) -> dict[str, Any]:
        """Whether the graph answers, how many patents have vectors, and whether text search is on."""
        backend: Backend = request.app.state.backend
        counts = {r["model"]: int(r["patents"]) for r in backend.store.run("embedding_model_counts")}
        return {
            "status": "ok",
            "engine": backend.store.engine,
            "patents_with_vectors": sum(counts.values()),
            "models": counts,
            "text_search": backend.encoder is not None,
            "text_search_problem": backend.encoder_problem,
            "max_k": MAX_K,
            "max_text": MAX_TEXT,
        }

    @app.get("/api/patents/{patent_id}")
    def patent(request: Request, patent_id: str = PathParam(max_length=64)) -> dict[str, Any]:
        """A patent's properties, its CPC codes with titles and their path from the section down,
        and the patents it cites and that cite it."""
        backend: Backend = request.app.state.backend
        row = _patent(backend.store, patent_id)
        paths = {code: cpc_path(code) for code in row["codes"]}
        titles = backend.titles_of({c for path in paths.values() for _, c in path})
        return {
            **row,
            "url": google_patents_url(row["id"]),
            "codes": [
                {
                    "code": code,
                    "title": titles.get(code),
                    "path": [{"level": level, "code": c, "title": titles.get(c)} for level, c in path],
                }
                for code, path in sorted(paths.items())
            ],
        }

    @app.get("/api/similar", response_model=None)
    def similar_patents(
        request: Request,
        id: str | None = Query(None, max_length=64, description="Query patent: its id or number."),
        text: str | None = Query(None, max_length=MAX_TEXT, description="Query text (instead of id)."),
        k: int = Query(10, ge=1, le=MAX_K),
        cpc: str | None = Query(None, max_length=200, description="CPC prefixes, comma-separated, e.g. G06N,G06F16/"),
        date_from: str | None = Query(None, max_length=10, description="Earliest date, YYYY-MM-DD."),
        date_to: str | None = Query(None, max_length=10, description="Latest date, YYYY-MM-DD."),
        same_subclass: bool = False,
        exclude_cited: bool = False,
        graph_weight: float = Query(
            0.0,
            ge=0,
            le=1,
            description="W: rank by (1 - W) x text cosine + W x graph "
            "cosine (`similar --graph-weight`; id only, Neo4j with GDS).",
        ),
        show_query: bool = Query(False, description="Also return the Cypher, ready for Neo4j Browser."),
        format: Literal["json", "csv"] = "json",
    ) -> Any:
        """The k patents nearest to a patent or a text within the filters (`patentcl similar`):
        k results whenever k patents pass them. csv: the same rows, headed by the query."""
        if (id is None) == (text is None):
            raise PatentclError("give id or text (one of them)")
        backend: Backend = request.app.state.backend
        store = backend.store
        filters = Filters(parse_cpc(cpc), same_subclass, exclude_cited, date_from, date_to)
        anchor = _patent(store, id) if id is not None else None
        vector = backend.encode(text) if text is not None else None
        lookup = similar(
            store,
            patent=anchor["id"] if anchor else None,
            vector=vector,
            k=k,
            filters=filters,
            graph_weight=graph_weight,
        )
        cites = {c["id"] for c in anchor["cites"]} if anchor else set()
        cited_by = {c["id"] for c in anchor["cited_by"]} if anchor else set()
        hits = [
            {
                **hit,
                "citation": "cites" if hit["id"] in cites else "cited_by" if hit["id"] in cited_by else None,
                "url": google_patents_url(hit["id"]),
            }
            for hit in lookup.as_dict()["hits"]
        ]
        codes = {c for h in hits for c in h["codes"]} | set(anchor["codes"] if anchor else ())
        answer = {
            **lookup.as_dict(),
            "hits": hits,
            "titles": backend.titles_of(codes),
            "request": {"id": id, "text": text, "k": k, **filters.params(), "graph_weight": graph_weight},
            "engine": store.engine,
            "anchor": {key: anchor[key] for key in ("id", "title", "date", "codes")} if anchor else None,
        }
        if show_query:
            answer["cypher"] = browser_query(store, lookup, vector)
        if format == "csv":
            return Response(
                _csv(answer),
                media_type="text/csv; charset=utf-8",
                headers={"content-disposition": 'attachment; filename="similar.csv"'},
            )
        return JSONResponse(answer)  # plain JSON values already: FastAPI's re-encoding would cost as much as the lookup

    @app.post("/api/suggest-cpc")
    def suggest(request: Request, body: SuggestRequest) -> dict[str, Any]:
        """CPC codes for a text, voted by its nearest patents (`patentcl suggest-cpc`)."""
        from patentcl.search.suggest import suggest_cpc

        backend: Backend = request.app.state.backend
        result = suggest_cpc(backend.store, vector=backend.encode(body.text), level=body.level, k=body.k)
        return result.as_dict()

    return app


def _csv(answer: dict[str, Any]) -> str:
    """The hits as CSV, headed by `#` lines with the query that produced them (catalogue name,
    version, sha256 and parameters): a file that says where it came from."""
    out = io.StringIO()
    query = answer["query"]
    out.write(f"# query: {query['query']} v{query['version']} ({query['dialect']}) sha256={query['sha256']}\n")
    out.write(f"# params: {json.dumps(answer['params'], ensure_ascii=False)}\n")
    out.write(f"# request: {json.dumps(answer['request'], ensure_ascii=False)}\n")
    writer = csv.writer(out)
    writer.writerow(["rank", "id", "similarity", "date", "title", "codes", "shared_codes", "citation", "url"])
    for rank, hit in enumerate(answer["hits"], 1):
        writer.writerow(
            [
                rank,
                hit["id"],
                f"{hit['similarity']:.6f}",
                hit["date"] or "",
                hit["title"] or "",
                " ".join(hit["codes"]),
                " ".join(hit["shared_codes"]),
                hit["citation"] or "",
                hit["url"],
            ]
        )
    return out.getvalue()
