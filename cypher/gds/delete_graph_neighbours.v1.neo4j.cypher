// name: delete_graph_neighbours
// version: 1
// mode: write
// returns: deleted
// Removes every GRAPH_NEIGHBOUR relationship before kNN writes new ones: the neighbours of one
// embedding are replaced as a whole, never mixed with those of an older one. 10,000 per
// transaction, so a large graph never needs one transaction's memory.
MATCH (:Patent)-[r:GRAPH_NEIGHBOUR]->(:Patent)
CALL (r) {
  DELETE r
} IN TRANSACTIONS OF 10000 ROWS
RETURN count(*) AS deleted
