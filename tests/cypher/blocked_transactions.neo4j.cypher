// Test support: the transactions waiting for a lock another transaction holds (Neo4j writes
// "Blocked by: [...]" in their status).
SHOW TRANSACTIONS YIELD transactionId, status
WHERE status STARTS WITH 'Blocked'
RETURN transactionId, status
