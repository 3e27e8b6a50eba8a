// name: set_graph_embeddings
// version: 1
// mode: write
// param $rows: [{id, vector}]: the graph_embedding to give each patent
// param $dimension: their dimension, recorded on the GraphEmbedding meta node
// returns: written
// Test support: known graph vectors (and the meta node `patentcl graph-embed` records), so that
// hybrid similarity can be checked against numpy without running GDS.
UNWIND $rows AS row
MATCH (p:Patent {id: row.id})
SET p.graph_embedding = row.vector
WITH count(p) AS written
MERGE (g:GraphEmbedding {id: 'fastrp'})
SET g.dimension = $dimension, g.algorithm = 'test vectors'
RETURN written
