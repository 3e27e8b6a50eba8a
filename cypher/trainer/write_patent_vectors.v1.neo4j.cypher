// name: write_patent_vectors
// version: 1
// mode: write
// param $rows: list of {id, vector}: a patent id and its embedding (floats)
// param $model: embedding model id (name@hash) that made the vectors
// returns: written (number of patents updated)
// db.create.setNodeVectorProperty checks the list is a valid vector and stores it compactly
// (works on Community Edition); the model is recorded in the same transaction.
UNWIND $rows AS row
MATCH (p:Patent {id: row.id})
CALL db.create.setNodeVectorProperty(p, 'embedding', row.vector)
SET p.embedding_model = $model
RETURN count(p) AS written
