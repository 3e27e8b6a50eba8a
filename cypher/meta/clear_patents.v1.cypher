// name: clear_patents
// version: 1
// mode: write
// returns: deleted
// Deletes every Patent and CPC node with its relationships; the schema and the migration log
// stay. `patentcl bench load` empties the graph between its warm-up load and the measured one.
MATCH (n)
WHERE n:Patent OR n:CPC
DETACH DELETE n
RETURN count(*) AS deleted
