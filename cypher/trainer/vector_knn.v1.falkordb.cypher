// name: vector_knn
// version: 1
// mode: read
// param $vector: query embedding (floats, the model's dimension)
// param $k: number of neighbours
// returns: id, similarity (cosine, 1 = same direction), nearest first
// Approximate k nearest patents through the HNSW index. FalkorDB's score is the cosine
// distance (1 - cosine), turned into a similarity here so both engines answer alike.
CALL db.idx.vector.queryNodes('Patent', 'embedding', $k, vecf32($vector)) YIELD node, score
RETURN node.id AS id, 1.0 - score AS similarity
ORDER BY similarity DESC
