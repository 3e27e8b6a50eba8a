"""Graph Data Science on Neo4j through the official `graphdatascience` client.

The only module that imports `graphdatascience`. FalkorDB has no GDS: every feature built on it
stops there with `GdsUnavailable`.

`embed_graph` projects the patents and the CPC hierarchy into GDS (memory estimated first), runs
FastRP with a fixed seed and concurrency, writes each patent's vector to `Patent.graph_embedding`,
runs kNN over those vectors and writes the nearest as ranked `GRAPH_NEIGHBOUR` relationships, and
records its parameters on `(:GraphEmbedding {id: 'fastrp'})`. The projection is dropped at the
end, also when a step fails.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from patentcl.config import Settings
from patentcl.errors import PatentclError
from patentcl.graph.store import GraphStore

if TYPE_CHECKING:
    from graphdatascience import GraphDataScience
    from graphdatascience.graph.graph_api import Graph

EMBEDDING_ID = "fastrp"
EMBEDDING_PROPERTY = "graph_embedding"
NEIGHBOUR_TYPE = "GRAPH_NEIGHBOUR"
# What the projection holds, in this order; a type the graph lacks (a CSV load has no CITES) is
# left out, since a projection naming a missing type fails.
RELATIONSHIP_TYPES = ("CLASSIFIED_AS", "CHILD_OF", "CITES")
ORIENTATION = "UNDIRECTED"
_NEEDS_GDS = (
    "needs Neo4j with Graph Data Science: start one with `patentcl graph start --engine neo4j` and "
    "point PATENTCL_GRAPH at it (bolt://...)"
)


class GdsUnavailable(PatentclError):
    """The configured graph cannot run Graph Data Science (FalkorDB, or a Neo4j without the plugin)."""


class ProjectionTooLarge(PatentclError):
    """The GDS projection (and FastRP on it) would need more heap than the Neo4j server has free."""


def require_gds(engine: str, what: str) -> None:
    """GdsUnavailable, naming `what` needs it, unless `engine` is Neo4j (the GDS plugin is checked on connecting)."""
    if engine != "neo4j":
        raise GdsUnavailable(f"{what} {_NEEDS_GDS}; this graph is {engine}")


@dataclass(frozen=True)
class EmbedOptions:
    """FastRP and kNN settings. A fixed seed and concurrency make the same graph give the same
    vectors; kNN is run single-threaded with a sample rate of 1, as GDS needs for a seeded,
    reproducible result."""

    dimension: int = 128
    seed: int = 42
    concurrency: int = 4
    neighbours: int = 50
    iteration_weights: tuple[float, ...] = (0.0, 1.0, 1.0)
    # Patents whose CLASSIFIED_AS edges stay out of the projection (see `projection`).
    leave_out: tuple[str, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        for name in ("dimension", "concurrency", "neighbours"):
            if getattr(self, name) < 1:
                raise PatentclError(f"{name} must be at least 1, not {getattr(self, name)}")

    def parameters(self, types: Sequence[str], gds_version: str) -> dict[str, Any]:
        """What the meta node records: everything that determines the vectors and neighbours."""
        values = {k: v for k, v in asdict(self).items() if k != "leave_out"}
        values |= {
            "iteration_weights": list(self.iteration_weights),
            "relationship_types": list(types),
            "orientation": ORIENTATION,
            "left_out": len(self.leave_out),
            "left_out_sha256": hashlib.sha256("\n".join(sorted(self.leave_out)).encode()).hexdigest(),
        }
        values["parameters_sha256"] = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()
        return values | {"gds_version": gds_version, "algorithm": "FastRP", "property": EMBEDDING_PROPERTY}


@contextmanager
def gds_session(settings: Settings) -> Iterator[GraphDataScience]:
    """A client on the Neo4j of `settings` (its URI, user, password and database); GdsUnavailable
    on FalkorDB or where the server has no GDS plugin."""
    require_gds(settings.engine, "Graph Data Science")
    from graphdatascience import GraphDataScience
    from neo4j.exceptions import AuthError, ClientError, ServiceUnavailable

    try:
        gds = GraphDataScience(
            settings.graph,
            auth=(settings.neo4j_user, settings.neo4j_password or ""),
            database=settings.neo4j_database,
            aura_ds=False,
            arrow=False,
            show_progress=False,
        )
    except AuthError:
        raise GdsUnavailable(
            f"Neo4j at {settings.graph} refused user {settings.neo4j_user!r}: wrong NEO4J_USERNAME or NEO4J_PASSWORD"
        ) from None
    except ServiceUnavailable as exc:
        raise GdsUnavailable(f"cannot reach Neo4j at {settings.graph}: {_first_line(exc)}") from None
    except ClientError as exc:  # gds.version() is unknown: the plugin is not installed
        raise GdsUnavailable(
            f"Neo4j at {settings.graph} has no Graph Data Science plugin ({exc.code}); the feature {_NEEDS_GDS}"
        ) from None
    try:
        yield gds
    finally:
        gds.close()


@dataclass
class Projection:
    graph: Graph
    types: list[str]
    nodes: int
    relationships: int
    estimated_bytes: int  # the projection and FastRP on it, at most
    free_bytes: int  # the heap the server could give when it was estimated


@contextmanager
def projection(
    gds: GraphDataScience, store: GraphStore, options: EmbedOptions, *, max_bytes: int | None = None
) -> Iterator[Projection]:
    """Patents and CPC codes with CLASSIFIED_AS, CHILD_OF and CITES (those the graph holds), every
    type UNDIRECTED: FastRP propagates along edges, and both ways is what brings close the
    patents that share a code or a citation (directed, a code would learn from its patents but
    a patent never from the other patents of its code, and a cited patent never from its citers).

    The memory is estimated first (projection and FastRP): ProjectionTooLarge, naming both
    figures, when it exceeds the heap the server has free, or `max_bytes` where given. The
    in-memory graph is dropped on leaving, also on an error.

    `options.leave_out`: patent ids whose CLASSIFIED_AS edges are not projected (the patents and
    their citations stay). A CPC evaluation leaves out its held-out patents, whose own codes
    would otherwise be encoded in their vectors; this makes a Cypher projection
    (`cypher/gds/project_leaving_out`), slower than the native one used otherwise.
    """
    present = {row["type"] for row in store.run("relationship_counts")}
    types = [t for t in RELATIONSHIP_TYPES if t in present]
    nodes = ["Patent", "CPC"]
    relationships = {t: {"orientation": ORIENTATION} for t in types}
    estimate = gds.graph.project.estimate(nodes, relationships or "*")
    fastrp = gds.fast_rp.estimate(
        {"nodeProjection": nodes, "relationshipProjection": relationships or "*"},
        embedding_dimension=options.dimension,
        iteration_weights=list(options.iteration_weights),
    )
    needed = int(estimate.bytes_max) + int(fastrp.bytes_max)
    info = gds.debug.sys_info()
    free = int(info.available_heap_in_bytes or info.heap_free_in_bytes or 0) if max_bytes is None else max_bytes
    if needed > free:
        raise ProjectionTooLarge(
            f"the GDS projection of {estimate.node_count:,} nodes and {estimate.relationship_count:,} relationships "
            f"with FastRP needs up to {_mib(needed)}, and {'the limit is' if max_bytes is not None else 'Neo4j has'} "
            f"{_mib(free)}{'' if max_bytes is not None else ' of heap free'}: raise the server's heap "
            "(NEO4J_HEAP_MAX, server.memory.heap.max_size) or lower --dimension"
        )
    name = f"patentcl-{EMBEDDING_ID}-{uuid.uuid4().hex[:12]}"
    try:
        if options.leave_out:
            query = store.query("project_leaving_out")
            graph = gds.graph.project.cypher(
                query.text, graph_name=name, types=types, leave_out=list(options.leave_out)
            ).graph
        else:
            graph = gds.graph.project.native(name, nodes, relationships or "*").graph
        yield Projection(graph, types, int(graph.node_count()), int(graph.relationship_count()), needed, free)
    finally:
        gds.graph.drop(name, fail_if_missing=False)


@dataclass
class EmbedReport:
    patents: int
    nodes: int
    relationships: int
    dimension: int
    neighbours: int  # GRAPH_NEIGHBOUR relationships written
    estimated_bytes: int
    free_bytes: int
    seconds: float
    parameters: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def embed_graph(
    settings: Settings, store: GraphStore, options: EmbedOptions, *, max_bytes: int | None = None
) -> EmbedReport:
    """FastRP vectors on every patent and their kNN as ranked GRAPH_NEIGHBOUR relationships
    (replacing any earlier ones), parameters on the GraphEmbedding meta node."""
    require_gds(store.engine, "graph-embed")
    started = time.perf_counter()
    with gds_session(settings) as gds, projection(gds, store, options, max_bytes=max_bytes) as projected:
        graph = projected.graph
        gds.fast_rp.mutate(
            graph,
            mutate_property=EMBEDDING_PROPERTY,
            embedding_dimension=options.dimension,
            iteration_weights=list(options.iteration_weights),
            random_seed=options.seed,
            concurrency=options.concurrency,
            log_progress=False,
        )
        written = gds.graph.node_properties.write(
            graph, [EMBEDDING_PROPERTY], node_labels=["Patent"], concurrency=options.concurrency, log_progress=False
        )
        store.run("delete_graph_neighbours")
        knn = gds.knn.write(
            graph,
            write_relationship_type=NEIGHBOUR_TYPE,
            write_property="score",
            node_properties=EMBEDDING_PROPERTY,
            top_k=options.neighbours,
            node_labels=["Patent"],
            random_seed=options.seed,
            concurrency=1,
            sample_rate=1.0,
            delta_threshold=0.0,
            log_progress=False,
        )
        store.run("rank_graph_neighbours")
        parameters = options.parameters(projected.types, str(gds.server_version()))
        store.run("record_graph_embedding", {"id": EMBEDDING_ID, "parameters": parameters})
        return EmbedReport(
            patents=int(written.properties_written),
            nodes=projected.nodes,
            relationships=projected.relationships,
            dimension=options.dimension,
            neighbours=int(knn.relationships_written),
            estimated_bytes=projected.estimated_bytes,
            free_bytes=projected.free_bytes,
            seconds=round(time.perf_counter() - started, 3),
            parameters=parameters,
        )


def graph_embedding_state(store: GraphStore) -> tuple[dict[str, Any] | None, int]:
    """The GraphEmbedding meta node's properties (None before `graph-embed`) and how many
    GRAPH_NEIGHBOUR relationships the graph holds."""
    row = next(store.run("graph_embedding_state", {"id": EMBEDDING_ID}))
    return row["meta"], int(row["neighbours"])


def _mib(size: int) -> str:
    return f"{size / 2**20:,.1f} MiB"


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
