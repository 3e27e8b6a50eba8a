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
// The exact k nearest patents, no index: every patent's cosine is computed (vector.similarity.cosine gives (1 + cosine) / 2, turned back into the cosine),
// then the k best are read with their codes. The reference for the index's recall (`patentcl
// similar --exact`, `patentcl bench similar`). With CPC limits use similar_patents_exact_cpc,
// which starts from the CPC codes instead of reading every patent's codes.
// In Neo4j Browser: :params {id: 'US11532378B2', vector: null, k: 10, exclude_cited: false, date_from: null, date_to: null}
// v2: v1's text; the version follows FalkorDB's v2, which fixes its shared_codes.
OPTIONAL MATCH (anchor:Patent {id: $id})
WITH anchor, CASE WHEN anchor IS NULL THEN $vector ELSE anchor.embedding END AS query,
     CASE WHEN anchor IS NULL OR NOT $exclude_cited THEN [] ELSE [(anchor)-[:CITES]-(q:Patent) | q.id] END AS excluded
MATCH (p:Patent)
WHERE p.embedding IS NOT NULL
  AND (anchor IS NULL OR p <> anchor)
  AND ($date_from IS NULL OR p.date >= $date_from)
  AND ($date_to IS NULL OR p.date <= $date_to)
  AND NOT p.id IN excluded
WITH anchor, p, 2.0 * vector.similarity.cosine(p.embedding, query) - 1.0 AS similarity
ORDER BY similarity DESC, p.id
LIMIT $k
WITH p, similarity, [(p)-[:CLASSIFIED_AS]->(c:CPC) | c.code] AS codes,
     CASE WHEN anchor IS NULL THEN [] ELSE [(anchor)-[:CLASSIFIED_AS]->(c:CPC) | c.code] END AS anchor_codes
RETURN p.id AS id, p.title AS title, p.date AS date, similarity, codes,
       [code IN codes WHERE code IN anchor_codes] AS shared_codes
ORDER BY similarity DESC, id
