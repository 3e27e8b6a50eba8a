// name: evaluation_patents
// version: 1
// mode: read
// param $skip: patents to skip (paging, in id order)
// param $limit: patents to return at most
// returns: id, title, abstract, date, codes (CPC codes it is classified at), cited (ids it cites or is cited by)
// The corpus of the evaluation's retrieval metrics: relevant = shares a CPC code (subgroup, as
// classified) and, where the graph has citations, = cited either way.
MATCH (p:Patent)
WITH p
ORDER BY p.id
SKIP $skip
LIMIT $limit
RETURN p.id AS id, p.title AS title, p.abstract AS abstract, p.date AS date,
       [(p)-[:CLASSIFIED_AS]->(c:CPC) | c.code] AS codes,
       [(p)-[:CITES]-(q:Patent) | q.id] AS cited
