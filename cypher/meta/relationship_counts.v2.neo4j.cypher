// name: relationship_counts
// version: 2
// mode: read
// returns: type, count (relationships per type)
// Neo4j answers `MATCH ()-[r:TYPE]->() RETURN count(r)` from its count store
// (RelationshipCountFromCountStore, constant time) only for a type written in the query: a
// dynamic type or `type(r) = t` scans every relationship. So the model's types are counted one by
// one; any other type db.relationshipTypes() lists (none in a patentcl graph) is scanned.
CALL () {
  CALL () { MATCH ()-[r:CITES]->() RETURN count(r) AS count } RETURN 'CITES' AS type, count
  UNION ALL
  CALL () { MATCH ()-[r:CLASSIFIED_AS]->() RETURN count(r) AS count } RETURN 'CLASSIFIED_AS' AS type, count
  UNION ALL
  CALL () { MATCH ()-[r:CHILD_OF]->() RETURN count(r) AS count } RETURN 'CHILD_OF' AS type, count
  UNION ALL
  CALL db.relationshipTypes() YIELD relationshipType AS type
  WITH type WHERE NOT type IN ['CITES', 'CLASSIFIED_AS', 'CHILD_OF']
  CALL (type) { MATCH ()-[r]->() WHERE type(r) = type RETURN count(r) AS count }
  RETURN type, count
}
WITH type, count WHERE count > 0
RETURN type, count
ORDER BY type
