// name: rank_graph_neighbours
// version: 1
// mode: write
// returns: ranked (patents whose neighbours were ranked)
// gds.knn.write stores a score only: each patent's GRAPH_NEIGHBOUR relationships get their rank,
// 1 = the most similar, ties broken by the neighbour's id so the ranks are a function of the
// scores. Mining reads bands of ranks (graph-neighbours). 1,000 patents per transaction.
MATCH (a:Patent)
WHERE EXISTS { (a)-[:GRAPH_NEIGHBOUR]->(:Patent) }
CALL (a) {
  MATCH (a)-[r:GRAPH_NEIGHBOUR]->(b:Patent)
  WITH r ORDER BY r.score DESC, b.id
  WITH collect(r) AS ranked
  UNWIND range(0, size(ranked) - 1) AS i
  WITH ranked[i] AS r, i
  SET r.rank = i + 1
} IN TRANSACTIONS OF 1000 ROWS
RETURN count(*) AS ranked
