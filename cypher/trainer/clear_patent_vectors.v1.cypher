// name: clear_patent_vectors
// version: 1
// mode: write
// param $model: embedding model id (name@hash) whose vectors are removed
// returns: cleared (number of patents)
// Removes one model's vectors (the write-back benchmark cleans up its random vectors with it).
MATCH (p:Patent)
WHERE p.embedding_model = $model
SET p.embedding = null, p.embedding_model = null
RETURN count(p) AS cleared
