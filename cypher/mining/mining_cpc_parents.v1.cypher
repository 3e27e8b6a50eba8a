// name: mining_cpc_parents
// version: 1
// mode: read
// returns: code, level, parent (the code one level up; null for a section)
// The CPC hierarchy as the graph holds it, read once per run to check triplets: which main group,
// subclass and class each code belongs to.
MATCH (c:CPC)
OPTIONAL MATCH (c)-[:CHILD_OF]->(parent:CPC)
RETURN c.code AS code, c.level AS level, parent.code AS parent
