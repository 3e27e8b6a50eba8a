// name: dump_relationships
// version: 1
// mode: read
// returns: type, source, target, props
// Every relationship with its end points' keys (patent id or CPC code) and its properties:
// verifies loads and compares graphs (small graphs).
MATCH (a)-[r]->(b)
RETURN type(r) AS type, coalesce(a.id, a.code) AS source, coalesce(b.id, b.code) AS target,
       properties(r) AS props
ORDER BY type, source, target
