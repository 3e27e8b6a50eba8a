// name: patent_texts
// version: 1
// mode: read
// param $ids: patent ids (Patent.id)
// returns: id, title, abstract
// The text the embedding model encodes, fetched for one batch of patents by their unique id.
UNWIND $ids AS id
MATCH (p:Patent {id: id})
RETURN p.id AS id, p.title AS title, p.abstract AS abstract
