// name: vector_knn
// version: 1
// mode: read
// param $vector: query embedding (floats, the model's dimension)
// param $k: number of neighbours
// returns: id, similarity (cosine, 1 = same direction), nearest first
// Approximate k nearest patents through the HNSW index. Neo4j's cosine score is (1 + cosine) / 2,
// turned back into the cosine here so both engines answer alike.
CALL db.index.vector.queryNodes('patent_embedding', $k, $vector) YIELD node, score
RETURN node.id AS id, 2.0 * score - 1.0 AS similarity
ORDER BY similarity DESC
