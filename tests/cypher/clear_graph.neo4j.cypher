// Test support: empties Neo4j's one database between test graphs (Community has no CREATE
// DATABASE). Schema stays: every test applies the same migrations. Runs in an auto-commit
// transaction, in batches, so a large graph does not need one transaction's memory.
MATCH (n)
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
