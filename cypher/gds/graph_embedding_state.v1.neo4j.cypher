// name: graph_embedding_state
// version: 1
// mode: read
// param $id: which embedding ('fastrp')
// returns: meta (the GraphEmbedding node's properties, null if none), neighbours (GRAPH_NEIGHBOUR relationships)
// Whether `patentcl graph-embed` has run on this graph, and with which parameters: the
// graph-neighbours mining strategy refuses to run without neighbours.
OPTIONAL MATCH (m:GraphEmbedding {id: $id})
WITH m
CALL () {
  MATCH (:Patent)-[r:GRAPH_NEIGHBOUR]->(:Patent)
  RETURN count(r) AS neighbours
}
RETURN properties(m) AS meta, neighbours
