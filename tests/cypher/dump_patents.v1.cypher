// name: dump_patents
// version: 1
// mode: read
// returns: id, props
// Every patent with all its properties, by id: verifies loads and compares graphs (small graphs).
MATCH (p:Patent)
RETURN p.id AS id, properties(p) AS props
ORDER BY id
