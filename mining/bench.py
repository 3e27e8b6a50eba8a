"""`patentcl bench mine`: mining throughput on the configured graph.

Mines about `target` triplets (target / negatives anchors, plus headroom for anchors that yield
none) into a temporary folder with `patentcl mine`'s own code and reports triplets per second of
mining, plus the one-off time to build the mining index. On a shared machine wall-clock figures
depend on the neighbours' load, so CPU seconds are reported too: this process's, and the
embedded server's (read from /proc on Linux) when the graph is the embedded one.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from patentcl.config import Settings
from patentcl.graph import GraphStore
from patentcl.mining.miner import MineOptions, mine

# Anchors that yield no triplet (no positive in their split, no negative within the caps):
# mine this much more than target / negatives anchors so the target is reached in one run.
_HEADROOM = 1.15


def server_cpu_seconds(settings: Settings) -> float | None:
    """CPU seconds the embedded FalkorDB server has used so far, where the OS tells (Linux)."""
    if not settings.embedded:
        return None
    from patentcl.graph.embedded import EmbeddedServer
    from patentcl.graph.processes import cpu_seconds

    return cpu_seconds(EmbeddedServer(settings.graph_dir).status().pid)


def bench_mine(
    store: GraphStore, settings: Settings, options: MineOptions, target: int = 20_000, *, rebuild_index: bool = False
) -> dict[str, Any]:
    anchors = math.ceil(target / options.negatives * _HEADROOM)
    with tempfile.TemporaryDirectory(prefix="patentcl-bench-mine-") as scratch:
        server_before = server_cpu_seconds(settings)
        manifest = mine(store, replace(options, anchors=anchors), Path(scratch), rebuild_index=rebuild_index)
        server_after = server_cpu_seconds(settings)
    timings = manifest["run"]["timings"]
    counts = manifest["counts"]
    return {
        "strategy": manifest["strategy"],
        "query": f"{manifest['query']['query']} v{manifest['query']['version']} ({manifest['query']['dialect']})",
        "graph": manifest["graph"]["counts"],
        "engine": manifest["graph"]["version"],
        "anchors": counts["anchors"],
        "anchors_with_triplets": counts["anchors_with_triplets"],
        "triplets": counts["triplets"],
        "negatives_per_anchor": options.negatives,
        "batch_size": options.batch_size,
        "mining_s": timings["mining_s"],
        "triplets_per_s": timings["triplets_per_s"],
        "client_cpu_s": timings["mining_cpu_s"],
        # The whole run (index check, anchors, mining): the server's counter cannot be split.
        "server_cpu_s": (
            None if server_before is None or server_after is None else round(server_after - server_before, 2)
        ),
        "index_s": timings["index_s"],
        "index_rebuilt": manifest["run"]["index"]["rebuilt"],
        "total_s": timings["total_s"],
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }
