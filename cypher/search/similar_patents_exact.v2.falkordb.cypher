// name: similar_patents_exact
// version: 2
// mode: read
// param $id: the query patent's id (Patent.id), or null to search by $vector
// param $vector: query embedding (floats, the model's dimension), or null to search by $id
// param $k: number of patents to return
// param $exclude_cited: true = leave out patents the query patent cites or is cited by
// param $date_from: earliest date, 'YYYY-MM-DD' (null = no limit)
// param $date_to: latest date, 'YYYY-MM-DD' (null = no limit)
// returns: id, title, date, similarity (cosine, 1 = same direction), codes, shared_codes (codes shared with the query patent), nearest first
// The exact k nearest patents, no index: every patent's cosine is computed (vec.cosineDistance),
// then the k best are read with their codes. The reference for the index's recall (`patentcl
// similar --exact`, `patentcl bench similar`). With CPC limits use similar_patents_exact_cpc,
// which starts from the CPC codes instead of reading every patent's codes.
// v2: the query patent's codes are read in their own WITH, under another name: FalkorDB 4.16
// returns [] for the second of two pattern comprehensions in one WITH that name their node
// alike, so v1's shared_codes was always empty.
// By hand: CYPHER id='US11532378B2' vector=null k=10 exclude_cited=false date_from=null date_to=null
OPTIONAL MATCH (anchor:Patent {id: $id})
WITH anchor, CASE WHEN anchor IS NULL THEN vecf32($vector) ELSE anchor.embedding END AS query,
     CASE WHEN $exclude_cited THEN [(anchor)-[:CITES]-(q:Patent) | q.id] ELSE [] END AS excluded
MATCH (p:Patent)
WHERE p.embedding IS NOT NULL
  AND (anchor IS NULL OR p <> anchor)
  AND ($date_from IS NULL OR p.date >= $date_from)
  AND ($date_to IS NULL OR p.date <= $date_to)
  AND NOT p.id IN excluded
WITH anchor, p, 1.0 - vec.cosineDistance(p.embedding, query) AS similarity
ORDER BY similarity DESC, p.id
LIMIT $k
WITH p, similarity, anchor, [(p)-[:CLASSIFIED_AS]->(c:CPC) | c.code] AS codes
WITH p, similarity, codes, [(anchor)-[:CLASSIFIED_AS]->(ac:CPC) | ac.code] AS anchor_codes
RETURN p.id AS id, p.title AS title, p.date AS date, similarity, codes,
       [code IN codes WHERE code IN anchor_codes] AS shared_codes
ORDER BY similarity DESC, id
