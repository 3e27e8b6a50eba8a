// name: label_counts
// version: 2
// mode: read
// returns: label, count (nodes per label)
// Neo4j answers `MATCH (n:Label) RETURN count(n)` from its count store (NodeCountFromCountStore,
// constant time) only for a label written in the query with nothing else beside the count: a
// dynamic label ($(label)) or `label IN labels(n)` scans every node. So the model's labels are
// counted one by one; any other label db.labels() lists (none in a patentcl graph) is scanned.
CALL () {
  CALL () { MATCH (n:Patent) RETURN count(n) AS count } RETURN 'Patent' AS label, count
  UNION ALL
  CALL () { MATCH (n:CPC) RETURN count(n) AS count } RETURN 'CPC' AS label, count
  UNION ALL
  CALL () { MATCH (n:SchemaMigration) RETURN count(n) AS count } RETURN 'SchemaMigration' AS label, count
  UNION ALL
  CALL () { MATCH (n:MiningIndex) RETURN count(n) AS count } RETURN 'MiningIndex' AS label, count
  UNION ALL
  CALL () { MATCH (n:EmbeddingModel) RETURN count(n) AS count } RETURN 'EmbeddingModel' AS label, count
  UNION ALL
  CALL db.labels() YIELD label
  WITH label WHERE NOT label IN ['Patent', 'CPC', 'SchemaMigration', 'MiningIndex', 'EmbeddingModel']
  CALL (label) { MATCH (n) WHERE label IN labels(n) RETURN count(n) AS count }
  RETURN label, count
}
WITH label, count WHERE count > 0
RETURN label, count
ORDER BY label
