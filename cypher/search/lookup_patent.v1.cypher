// name: lookup_patent
// version: 1
// mode: read
// param $key: a patent id as loaded (e.g. 'US11532378B2', '11532378') or a normalised number ('11532378')
// returns: id, title, date, has_vector, model (the embedding model of its vector), codes
// Finds the patent a user means, by id or by number (both indexed; the UNION keeps each lookup on
// its index), before a similarity lookup or a CPC suggestion. Several rows: the number is
// ambiguous (e.g. a grant and its application); none: no such patent.
MATCH (p:Patent {id: $key})
RETURN p.id AS id, p.title AS title, p.date AS date, p.embedding IS NOT NULL AS has_vector,
       p.embedding_model AS model, [(p)-[:CLASSIFIED_AS]->(c:CPC) | c.code] AS codes
UNION
MATCH (p:Patent {number: $key})
RETURN p.id AS id, p.title AS title, p.date AS date, p.embedding IS NOT NULL AS has_vector,
       p.embedding_model AS model, [(p)-[:CLASSIFIED_AS]->(c:CPC) | c.code] AS codes
