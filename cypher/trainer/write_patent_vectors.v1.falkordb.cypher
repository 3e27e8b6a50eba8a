// name: write_patent_vectors
// version: 1
// mode: write
// param $rows: list of {id, vector}: a patent id and its embedding (floats)
// param $model: embedding model id (name@hash) that made the vectors
// returns: written (number of patents updated)
// Stores each vector as a FalkorDB float32 vector (vecf32, what the vector index reads) and
// records the model in the same statement, so a patent never holds one model's vector under
// another model's name.
UNWIND $rows AS row
MATCH (p:Patent {id: row.id})
SET p.embedding = vecf32(row.vector), p.embedding_model = $model
RETURN count(p) AS written
