// name: similar_patents_exact_cpc
// version: 1
// mode: read
// param $id: the query patent's id (Patent.id), or null to search by $vector
// param $vector: query embedding (floats, the model's dimension), or null to search by $id
// param $k: number of patents to return
// param $cpc: CPC code prefixes, e.g. ['G06N', 'G06F16/']; a result needs a code starting with one ([]: use $same_subclass)
// param $same_subclass: true = a result shares a CPC subclass (e.g. G06N) with the query patent
// param $exclude_cited: true = leave out patents the query patent cites or is cited by
// param $date_from: earliest date, 'YYYY-MM-DD' (null = no limit)
// param $date_to: latest date, 'YYYY-MM-DD' (null = no limit)
// returns: id, title, date, similarity (cosine, 1 = same direction), codes, shared_codes (codes shared with the query patent), nearest first
// The exact k nearest patents within CPC limits, no index: candidates are reached from the CPC
// codes ($cpc prefixes, else the query patent's subclasses), so a selective limit reads few
// patents; every candidate's cosine is computed (vec.cosineDistance), and codes are read nearest first until k pass.
// `patentcl similar` uses it when the vector index would need a huge fetch to find k patents
// that pass. Same rows as similar_patents for the same parameters (it needs $cpc or
// $same_subclass; with neither it returns nothing: use similar_patents_exact).
// The prefixes are UNWOUND: FalkorDB 4.16 returns no row for
// `MATCH (c:CPC) WHERE any(prefix IN $list WHERE c.code STARTS WITH prefix)`.
// By hand: CYPHER id='US11532378B2' vector=null k=10 cpc=['H04W'] same_subclass=false exclude_cited=false date_from=null date_to=null
OPTIONAL MATCH (anchor:Patent {id: $id})
WITH anchor, CASE WHEN anchor IS NULL THEN vecf32($vector) ELSE anchor.embedding END AS query,
     [(anchor)-[:CLASSIFIED_AS]->(c:CPC) | c.code] AS anchor_codes,
     CASE WHEN $exclude_cited THEN [(anchor)-[:CITES]-(q:Patent) | q.id] ELSE [] END AS excluded
WITH anchor, query, anchor_codes, excluded, [code IN anchor_codes | substring(code, 0, 4)] AS anchor_subclasses
WITH anchor, query, anchor_codes, excluded, anchor_subclasses,
     CASE WHEN size($cpc) > 0 THEN $cpc WHEN $same_subclass THEN anchor_subclasses ELSE [] END AS prefixes
UNWIND prefixes AS prefix
MATCH (c:CPC)
WHERE c.code STARTS WITH prefix
MATCH (p:Patent)-[:CLASSIFIED_AS]->(c)
WITH DISTINCT anchor, query, anchor_codes, excluded, anchor_subclasses, p
WHERE p.embedding IS NOT NULL
  AND (anchor IS NULL OR p <> anchor)
  AND ($date_from IS NULL OR p.date >= $date_from)
  AND ($date_to IS NULL OR p.date <= $date_to)
  AND NOT p.id IN excluded
WITH p, anchor_codes, anchor_subclasses, 1.0 - vec.cosineDistance(p.embedding, query) AS similarity
ORDER BY similarity DESC, p.id
WITH p, anchor_codes, anchor_subclasses, similarity, [(p)-[:CLASSIFIED_AS]->(c:CPC) | c.code] AS codes
WHERE NOT ($same_subclass AND size($cpc) > 0) OR any(code IN codes WHERE substring(code, 0, 4) IN anchor_subclasses)
WITH p, anchor_codes, similarity, codes
LIMIT $k
RETURN p.id AS id, p.title AS title, p.date AS date, similarity, codes,
       [code IN codes WHERE code IN anchor_codes] AS shared_codes
ORDER BY similarity DESC, id
