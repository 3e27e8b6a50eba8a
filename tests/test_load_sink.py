"""The loader's CREATE-then-MERGE fallback on both engines: only a broken unique key (a patent
already in the graph) sends a batch to MERGE; any other failure is reported."""

from __future__ import annotations

import pytest

from helpers import dump
from patentcl.errors import ConstraintViolation, QueryError
from patentcl.graph import GraphStore
from patentcl.loaders.graph_sink import GraphSink


def test_patents_already_in_the_graph_are_merged(store: GraphStore) -> None:
    sink = GraphSink(store)
    assert sink.patents([{"id": "US1", "title": "one"}]).run() == 1
    # US1 exists: the batch's CREATE breaks the unique key, the graph undoes it, the sink MERGEs
    assert sink.patents([{"id": "US1", "title": "one again"}, {"id": "US2", "title": "two"}]).run() == 2
    titles = {r["id"]: r["props"].get("title") for r in dump(store, "dump_patents")}
    assert titles == {"US1": "one again", "US2": "two"}


def test_any_other_failure_is_reported_not_merged(store: GraphStore) -> None:
    sink = GraphSink(store)
    with pytest.raises(QueryError) as error:  # a map is no property value, on either engine
        sink.patents([{"id": "US1", "title": {"not": "a property value"}}]).run()
    assert not isinstance(error.value, ConstraintViolation)
    assert error.value.query.startswith("create_patents")  # not retried as load_patents
    assert sink.stats["existing_patents"][0] == 0  # nor did the sink start asking what exists
    assert store.describe().labels.get("Patent", 0) == 0
