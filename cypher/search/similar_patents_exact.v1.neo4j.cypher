// name: similar_patents_exact
// version: 1
// mode: read
// param $id: the query patent's id (Patent.id), or null to search by $vector
// param $vector: query embedding (floats, the model's dimension), or null to search by $id
// param $k: number of patents to return
// param $cpc: CPC code prefixes, e.g. ['G06N', 'G06F16/']; a result needs a code starting with one ([] = any)
// param $same_subclass: true = a result shares a CPC subclass (e.g. G06N) with the query patent
// param $exclude_cited: true = leave out patents the query patent cites or is cited by
// param $date_from: earliest date, 'YYYY-MM-DD' (null = no limit)
// param $date_to: latest date, 'YYYY-MM-DD' (null = no limit)
// returns: id, title, date, similarity (cosine, 1 = same direction), codes, shared_codes (codes shared with the query patent), nearest first
// The exact k nearest patents among those that pass the filters: every candidate's cosine is
// computed, no index (vector.similarity.cosine gives (1 + cosine) / 2, turned back into the
// cosine). `patentcl similar` uses it when a filter is selective (few candidates, where the
// index would need a huge $fetch), and benchmarks use it as the truth for the index's recall.
// Same parameters and rows as similar_patents (without $fetch); in Neo4j Browser set them with
// :params {id: 'US11532378B2', vector: null, k: 10, cpc: ['G06N'], same_subclass: false, exclude_cited: false, date_from: null, date_to: null}
OPTIONAL MATCH (anchor:Patent {id: $id})
WITH anchor, CASE WHEN anchor IS NULL THEN $vector ELSE anchor.embedding END AS query,
     CASE WHEN anchor IS NULL THEN [] ELSE [(anchor)-[:CLASSIFIED_AS]->(c:CPC) | c.code] END AS anchor_codes,
     CASE WHEN anchor IS NULL OR NOT $exclude_cited THEN [] ELSE [(anchor)-[:CITES]-(q:Patent) | q.id] END AS excluded
WITH anchor, query, anchor_codes, excluded, [code IN anchor_codes | substring(code, 0, 4)] AS anchor_subclasses
MATCH (p:Patent)
WHERE p.embedding IS NOT NULL
  AND (anchor IS NULL OR p <> anchor)
  AND ($date_from IS NULL OR p.date >= $date_from)
  AND ($date_to IS NULL OR p.date <= $date_to)
  AND NOT p.id IN excluded
WITH p, query, anchor_codes, anchor_subclasses, [(p)-[:CLASSIFIED_AS]->(c:CPC) | c.code] AS codes
WHERE (size($cpc) = 0 OR any(code IN codes WHERE any(prefix IN $cpc WHERE code STARTS WITH prefix)))
  AND (NOT $same_subclass OR any(code IN codes WHERE substring(code, 0, 4) IN anchor_subclasses))
WITH p, codes, anchor_codes, 2.0 * vector.similarity.cosine(p.embedding, query) - 1.0 AS similarity
RETURN p.id AS id, p.title AS title, p.date AS date, similarity, codes,
       [code IN codes WHERE code IN anchor_codes] AS shared_codes
ORDER BY similarity DESC, id
LIMIT $k
