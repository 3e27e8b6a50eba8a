// name: vector_knn
// version: 2
// mode: read
// param $vector: query embedding (floats, the model's dimension)
// param $k: number of neighbours
// returns: id, similarity (cosine, 1 = same direction), nearest first
// Approximate k nearest patents through the HNSW index. Neo4j searches with ef = the k it is
// asked for, so it is asked for max($k, ef_runtime) (the recorded search-time setting, as
// FalkorDB's efRuntime) and the best $k are kept. Each candidate is scored exactly
// (vector.similarity.cosine, (1 + cosine) / 2, turned back into the cosine) rather than by the
// index's score, which a quantized index (one made before create_vector_index v2) gets wrong.
OPTIONAL MATCH (s:VectorIndexSettings {id: 'Patent.embedding'})
WITH CASE WHEN s.ef_runtime > $k THEN toInteger(s.ef_runtime) ELSE toInteger($k) END AS ef
CALL db.index.vector.queryNodes('patent_embedding', ef, $vector) YIELD node
WITH node, 2.0 * vector.similarity.cosine(node.embedding, $vector) - 1.0 AS similarity
RETURN node.id AS id, similarity
ORDER BY similarity DESC, id
LIMIT $k
