"""Where `patentcl serve` may listen without a token, and `patentcl bench serve`.

The benchmark runs the server in a process of its own (as `patentcl serve` would run it, on a free
loopback port) and its clients in this one, one thread and one keep-alive connection each, so the
server's Python does not share a GIL with the clients. Latency is wall time per request, as a
client sees it; each run is bounded by a request count, after a warm-up of a few requests per
client that are not counted.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import multiprocessing
import random
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import numpy as np

from patentcl.config import Settings
from patentcl.errors import PatentclError
from patentcl.graph import open_store

STARTUP_S = 300.0  # the server loads the query model before it answers
_WARMUP_PER_CLIENT = 3


def is_loopback(host: str) -> bool:
    """`localhost` or a loopback address (127.0.0.0/8, ::1): reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(settings: Settings, model: str | None, port: int) -> None:
    import uvicorn

    from patentcl.search.web.app import create_app

    uvicorn.run(create_app(settings, model=model), host="127.0.0.1", port=port, log_level="warning")


def _wait_until_up(port: int, server: multiprocessing.process.BaseProcess) -> dict[str, Any]:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if not server.is_alive():
            raise PatentclError("the benchmark's server stopped while starting (see the lines above)")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/api/health")
            response = connection.getresponse()
            if response.status == 200:
                return json.loads(response.read())
        except OSError:
            pass
        time.sleep(0.5)
    raise PatentclError(f"the benchmark's server did not answer within {STARTUP_S:.0f} s")


def _run(port: int, paths: list[str], clients: int, requests: int) -> dict[str, Any]:
    """`requests` timed GETs of `paths` (in turn) from `clients` threads at once."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(requests))
    start_line = threading.Barrier(clients)

    def client(number: int) -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for i in range(_WARMUP_PER_CLIENT):
            _get(connection, paths[(number + i) % len(paths)])
        start_line.wait()
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                break
            began = time.perf_counter()
            ok = _get(connection, paths[n % len(paths)])
            ms = (time.perf_counter() - began) * 1000
            with lock:
                latencies.append(ms)
                errors += not ok
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    values = np.asarray(latencies)
    return {
        "requests": len(latencies),
        "p50_ms": round(float(np.percentile(values, 50)), 2),
        "p95_ms": round(float(np.percentile(values, 95)), 2),
        "mean_ms": round(float(values.mean()), 2),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "errors": errors,
    }


def _get(connection: http.client.HTTPConnection, path: str) -> bool:
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    return response.status == 200


def _check(port: int, kinds: dict[str, list[str]]) -> None:
    """One request of each kind must succeed: timing refusals would measure nothing."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for kind, paths in kinds.items():
        connection.request("GET", paths[0])
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise PatentclError(
                f"/api/similar by {kind} answers {response.status}: {json.loads(body).get('error', '')}"
            )
    connection.close()


def run_serve_benchmark(
    settings: Settings,
    *,
    requests: int = 200,
    clients: Sequence[int] = (1, 8, 32),
    k: int = 10,
    model: str | None = None,
    seed: int = 42,
) -> dict[str, Any]:
    """/api/similar p50/p95 by id and by text (patents' own titles and abstracts, drawn at random)
    at each client count."""
    with open_store(settings) as store:
        ids = [r["id"] for r in store.run("vector_patent_ids")]
        if len(ids) <= k:
            raise PatentclError(f"the graph has {len(ids)} patents with vectors: too few to benchmark k={k}")
        sample = random.Random(seed).sample(ids, min(requests, len(ids)))
        texts = [
            " ".join(filter(None, (r["title"], r["abstract"]))) for r in store.run("patent_texts", {"ids": sample})
        ]
    port = _free_port()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(settings, model, port), daemon=True)
    server.start()
    try:
        health = _wait_until_up(port, server)
        if not health["text_search"]:
            raise PatentclError(f"the server cannot search by text: {health['text_search_problem']}")
        kinds = {
            "id": [f"/api/similar?{urlencode({'id': i, 'k': k})}" for i in sample],
            "text": [f"/api/similar?{urlencode({'text': t, 'k': k})}" for t in texts],
        }
        _check(port, kinds)
        rows = [
            {"kind": kind, "clients": n, **_run(port, paths, n, requests)}
            for kind, paths in kinds.items()
            for n in clients
        ]
    finally:
        server.terminate()
        server.join(10)
    return {
        "title": f"/api/similar over HTTP: {len(ids):,} patents with vectors, k={k}, engine {settings.engine}",
        "patents": len(ids),
        "k": k,
        "engine": settings.engine,
        "requests_per_run": requests,
        "seed": seed,
        "rows": rows,
    }
