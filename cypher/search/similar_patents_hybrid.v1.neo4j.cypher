// name: similar_patents_hybrid
// version: 1
// mode: read
// param $id: the query patent's id (Patent.id); it needs both its text embedding and its graph_embedding
// param $k: number of patents to return
// param $graph_weight: W in [0, 1]: a patent's score is (1 - W) * text cosine + W * graph cosine
// param $cpc: CPC code prefixes, e.g. ['G06N', 'G06F16/']; a result needs a code starting with one ([] = any)
// param $same_subclass: true = a result shares a CPC subclass (e.g. G06N) with the query patent
// param $exclude_cited: true = leave out patents the query patent cites or is cited by
// param $date_from: earliest date, 'YYYY-MM-DD' (null = no limit)
// param $date_to: latest date, 'YYYY-MM-DD' (null = no limit)
// returns: id, title, date, similarity (the hybrid score), text_similarity, graph_similarity (cosines, 1 = same direction), codes, shared_codes (codes shared with the query patent), best first
// The k best patents by a mix of text cosine (Patent.embedding) and graph cosine
// (Patent.graph_embedding, FastRP from `patentcl graph-embed`), exactly, no index: neither
// vector index can rank by a sum of two similarities, and a candidate far from the query in
// text space can still win on its graph score, so every patent that passes the filters is
// scored. Candidates come from the CPC codes when $cpc or $same_subclass limit them (a selective
// limit reads few patents), else from every patent; only patents holding both vectors are
// ranked. vector.similarity.cosine gives (1 + cosine) / 2, turned back into the cosine; a zero
// graph vector (FastRP gives one to a patent with no relationship) has no direction, which
// vector.similarity.cosine refuses: it counts as cosine 0. W = 0 gives similar_patents_exact's order over the patents with both vectors.
// In Neo4j Browser: :params {id: 'US11532378B2', k: 10, graph_weight: 0.5, cpc: [], same_subclass: false, exclude_cited: false, date_from: null, date_to: null}
MATCH (anchor:Patent {id: $id})
WITH anchor, [(anchor)-[:CLASSIFIED_AS]->(c:CPC) | c.code] AS anchor_codes,
     CASE WHEN $exclude_cited THEN [(anchor)-[:CITES]-(q:Patent) | q.id] ELSE [] END AS excluded
WITH anchor, anchor_codes, excluded, [code IN anchor_codes | substring(code, 0, 4)] AS anchor_subclasses
WITH anchor, anchor_codes, excluded, anchor_subclasses,
     any(x IN anchor.graph_embedding WHERE x <> 0.0) AS anchor_directed,
     CASE WHEN size($cpc) > 0 THEN $cpc ELSE anchor_subclasses END AS prefixes
CALL (prefixes) {
  WITH prefixes
  WHERE size($cpc) > 0 OR $same_subclass
  UNWIND prefixes AS prefix
  MATCH (c:CPC)
  WHERE c.code STARTS WITH prefix
  MATCH (p:Patent)-[:CLASSIFIED_AS]->(c)
  RETURN p
  UNION
  WITH prefixes
  WHERE size($cpc) = 0 AND NOT $same_subclass
  MATCH (p:Patent)
  RETURN p
}
WITH anchor, anchor_codes, anchor_subclasses, excluded, anchor_directed, p
WHERE p <> anchor
  AND p.embedding IS NOT NULL AND p.graph_embedding IS NOT NULL
  AND ($date_from IS NULL OR p.date >= $date_from)
  AND ($date_to IS NULL OR p.date <= $date_to)
  AND NOT p.id IN excluded
WITH anchor_codes, anchor_subclasses, p,
     2.0 * vector.similarity.cosine(p.embedding, anchor.embedding) - 1.0 AS text_similarity,
     CASE WHEN anchor_directed AND any(x IN p.graph_embedding WHERE x <> 0.0)
          THEN 2.0 * vector.similarity.cosine(p.graph_embedding, anchor.graph_embedding) - 1.0
          ELSE 0.0 END AS graph_similarity
WITH anchor_codes, anchor_subclasses, p, text_similarity, graph_similarity,
     (1.0 - $graph_weight) * text_similarity + $graph_weight * graph_similarity AS similarity
ORDER BY similarity DESC, p.id
WITH p, anchor_codes, anchor_subclasses, similarity, text_similarity, graph_similarity,
     [(p)-[:CLASSIFIED_AS]->(c:CPC) | c.code] AS codes
WHERE (size($cpc) = 0 OR any(code IN codes WHERE any(prefix IN $cpc WHERE code STARTS WITH prefix)))
  AND (NOT $same_subclass OR any(code IN codes WHERE substring(code, 0, 4) IN anchor_subclasses))
WITH p, anchor_codes, similarity, text_similarity, graph_similarity, codes
LIMIT $k
RETURN p.id AS id, p.title AS title, p.date AS date, similarity, text_similarity, graph_similarity, codes,
       [code IN codes WHERE code IN anchor_codes] AS shared_codes
ORDER BY similarity DESC, id
