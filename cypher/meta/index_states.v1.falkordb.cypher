// name: index_states
// version: 1
// mode: read
// returns: status (OPERATIONAL, UNDER CONSTRUCTION or FAILED), one row per index and per unique constraint
// FalkorDB builds an index or a unique constraint over existing nodes in the background (after a
// bulk load, over the whole graph): migrations wait until every one is OPERATIONAL.
CALL db.indexes() YIELD status
RETURN status
UNION ALL
CALL db.constraints() YIELD status
RETURN status
