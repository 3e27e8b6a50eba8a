// name: hybrid_lookup_state
// version: 1
// mode: read
// param $id: the query patent's id (Patent.id)
// returns: present (a FastRP run recorded its GraphEmbedding node), parameters (that node's properties, null if none), anchor_has_vector (the query patent has a graph_embedding)
// Checked before a hybrid lookup (`patentcl similar --graph-weight`): without a recorded FastRP
// run (FalkorDB never has one, `patentcl graph-embed` needs Neo4j with Graph Data Science) or
// without the query patent's graph vector, the user is told what to run instead of getting
// an empty answer. The parameters go into the lookup's provenance.
OPTIONAL MATCH (g:GraphEmbedding {id: 'fastrp'})
OPTIONAL MATCH (p:Patent {id: $id})
RETURN g IS NOT NULL AS present, CASE WHEN g IS NULL THEN null ELSE properties(g) END AS parameters,
       p IS NOT NULL AND p.graph_embedding IS NOT NULL AS anchor_has_vector
