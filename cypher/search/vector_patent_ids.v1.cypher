// name: vector_patent_ids
// version: 1
// mode: read
// returns: id of every patent that has an embedding, in id order
// The population `patentcl bench similar` draws its query patents from.
MATCH (p:Patent)
WHERE p.embedding IS NOT NULL
RETURN p.id AS id
ORDER BY id
