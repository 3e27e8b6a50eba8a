// name: patent_ids_with_vectors
// version: 1
// mode: read
// returns: id of every patent that holds a vector
// The patents an index benchmark measures recall over.
MATCH (p:Patent)
WHERE p.embedding IS NOT NULL
RETURN p.id AS id
