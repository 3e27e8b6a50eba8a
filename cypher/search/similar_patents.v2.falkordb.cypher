// name: similar_patents
// version: 2
// mode: read
// param $id: the query patent's id (Patent.id), or null to search by $vector
// param $vector: query embedding (floats, the model's dimension), or null to search by $id
// param $k: number of patents to return
// param $fetch: candidates to take from the vector index before filtering (at least $k + 1)
// param $cpc: CPC code prefixes, e.g. ['G06N', 'G06F16/']; a result needs a code starting with one ([] = any)
// param $same_subclass: true = a result shares a CPC subclass (e.g. G06N) with the query patent
// param $exclude_cited: true = leave out patents the query patent cites or is cited by
// param $date_from: earliest date, 'YYYY-MM-DD' (null = no limit)
// param $date_to: latest date, 'YYYY-MM-DD' (null = no limit)
// returns: id, title, date, similarity (cosine, 1 = same direction), codes, shared_codes (codes shared with the query patent), nearest first
// The k patents nearest to a patent (or to a vector) through the HNSW vector index, with graph
// filters. The index filters nothing: it returns the $fetch nearest, and the filters run after
// it, so a selective filter can leave fewer than $k; `patentcl similar` then raises $fetch or
// switches to similar_patents_exact. FalkorDB's score is the cosine distance (1 - cosine).
// Same text as v1: v2 exists because the Neo4j file changed and the catalogue takes the
// newest version for every dialect.
// By hand (redis-cli, FalkorDB Browser): prefix the query with the parameters, e.g.
// CYPHER id='US11532378B2' vector=null k=10 fetch=40 cpc=[] same_subclass=false exclude_cited=false date_from=null date_to=null
// or print it ready to run: `patentcl similar US11532378B2 --show-query`.
OPTIONAL MATCH (anchor:Patent {id: $id})
WITH anchor, CASE WHEN anchor IS NULL THEN vecf32($vector) ELSE anchor.embedding END AS query,
     [(anchor)-[:CLASSIFIED_AS]->(c:CPC) | c.code] AS anchor_codes,
     CASE WHEN $exclude_cited THEN [(anchor)-[:CITES]-(q:Patent) | q.id] ELSE [] END AS excluded
WITH anchor, query, anchor_codes, excluded, [code IN anchor_codes | substring(code, 0, 4)] AS anchor_subclasses
CALL db.idx.vector.queryNodes('Patent', 'embedding', $fetch, query) YIELD node, score
WITH anchor, anchor_codes, anchor_subclasses, excluded, node AS p, 1.0 - score AS similarity
WHERE (anchor IS NULL OR p <> anchor)
  AND ($date_from IS NULL OR p.date >= $date_from)
  AND ($date_to IS NULL OR p.date <= $date_to)
  AND NOT p.id IN excluded
WITH p, similarity, anchor_codes, anchor_subclasses, [(p)-[:CLASSIFIED_AS]->(c:CPC) | c.code] AS codes
WHERE (size($cpc) = 0 OR any(code IN codes WHERE any(prefix IN $cpc WHERE code STARTS WITH prefix)))
  AND (NOT $same_subclass OR any(code IN codes WHERE substring(code, 0, 4) IN anchor_subclasses))
RETURN p.id AS id, p.title AS title, p.date AS date, similarity, codes,
       [code IN codes WHERE code IN anchor_codes] AS shared_codes
ORDER BY similarity DESC, id
LIMIT $k
