// name: patent_vectors
// version: 1
// mode: read
// param $ids: patent ids (Patent.id)
// returns: id, vector (the stored embedding as floats, null if none), model (embedding_model)
// Reads vectors back: exact nearest neighbours for index recall, and checks of the write-back.
UNWIND $ids AS id
MATCH (p:Patent {id: id})
RETURN p.id AS id, p.embedding AS vector, p.embedding_model AS model
