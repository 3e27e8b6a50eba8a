// name: record_graph_embedding
// version: 1
// mode: write
// param $id: which embedding ('fastrp')
// param $parameters: map of what made the vectors (dimension, seed, concurrency, iteration weights, relationship types, orientation, GDS version, parameters hash, neighbours, left-out patents)
// returns: id
// One meta node per graph embedding, so Patent.graph_embedding and the GRAPH_NEIGHBOUR ranks can be
// traced to the parameters that made them; replaced as a whole when they are recomputed.
MERGE (m:GraphEmbedding {id: $id})
SET m = $parameters, m.id = $id
RETURN m.id AS id
