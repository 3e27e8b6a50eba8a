// name: clear_patents
// version: 1
// mode: write
// returns: deleted
// Deletes every Patent and CPC node with its relationships; the schema and the migration log
// stay. `patentcl bench load` empties the graph between its warm-up load and the measured one.
// Neo4j: 10,000 nodes per transaction, so a large graph never needs one transaction's memory.
MATCH (n)
WHERE n:Patent OR n:CPC
CALL (n) {
  DETACH DELETE n
} IN TRANSACTIONS OF 10000 ROWS
RETURN count(*) AS deleted
