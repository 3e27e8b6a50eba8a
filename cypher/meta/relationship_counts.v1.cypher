// name: relationship_counts
// version: 1
// mode: read
// returns: type, count (relationships per type)
MATCH ()-[r]->()
RETURN type(r) AS type, count(*) AS count
ORDER BY type
