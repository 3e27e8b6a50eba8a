// name: vector_knn
// version: 2
// mode: read
// param $vector: query embedding (floats, the model's dimension)
// param $k: number of neighbours
// returns: id, similarity (cosine, 1 = same direction), nearest first
// Approximate k nearest patents through the HNSW index. FalkorDB's score is the cosine
// distance (1 - cosine) of the stored float32 vectors, turned into a similarity here so both
// engines answer alike; the index's efRuntime sets the candidates it searches. Same text as v1:
// v2 exists because the Neo4j file changed and the catalogue takes the newest version for every dialect.
CALL db.idx.vector.queryNodes('Patent', 'embedding', $k, vecf32($vector)) YIELD node, score
RETURN node.id AS id, 1.0 - score AS similarity
ORDER BY similarity DESC
