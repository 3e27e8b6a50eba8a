// name: label_counts
// version: 2
// mode: read
// returns: label, count (nodes per label)
// Unchanged from v1 (FalkorDB); v2 is the Neo4j dialect's count-store version.
MATCH (n)
UNWIND labels(n) AS label
RETURN label, count(*) AS count
ORDER BY label
