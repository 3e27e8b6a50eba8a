// name: relationship_counts
// version: 2
// mode: read
// returns: type, count (relationships per type)
// Unchanged from v1 (FalkorDB); v2 is the Neo4j dialect's count-store version.
MATCH ()-[r]->()
RETURN type(r) AS type, count(*) AS count
ORDER BY type
