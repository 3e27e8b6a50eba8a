// name: cited_shared_cpc
// version: 2
// mode: read
// param $anchors: anchor patent ids (one batch, all of one split)
// param $lo: lowest rank of the anchors' split: positives and negatives come from the same split
// param $hi: rank bound of the split (exclusive)
// param $shuffle: odd multiplier drawn from the seed; (rank * $shuffle + anchor rank) mod 2^31 orders every choice
// param $negatives: negatives wanted per anchor
// param $window: width of the rank window random negatives are read from (about 8 patents per negative)
// param $room: $hi - $lo - $window, at least 1: where in the split a window may start
// returns: anchor, positive, shared_code, shared_level, negatives (ids); anchors without a positive return no row
// v2: v1's text (FalkorDB has no CALL (a) { ... } scope clause); Neo4j's v2 uses it.
// The published PatentCL recipe, kept for comparison. Positive: a patent the anchor cites that
// shares a CPC group with it (one sharing a subgroup first); the shared code is the rarest
// subgroup they share, else the rarest main group. Negatives: patents outside that set, drawn at
// random (a window of stored ranks, an index range scan) among those that are not linked to the
// anchor by a citation and share no main group with it.
UNWIND $anchors AS anchor_id
MATCH (a:Patent {id: anchor_id})
WITH a
CALL {
  WITH a
  MATCH (a)-[:CITES]->(p:Patent)
  WHERE p.rank >= $lo AND p.rank < $hi AND any(g IN p.main_groups WHERE g IN a.main_groups)
  WITH a, p, [(a)-[:CLASSIFIED_AS]->(s:CPC)<-[:CLASSIFIED_AS]-(p) WHERE s.level = 'subgroup' | s.code] AS subgroups
  RETURN p AS positive, subgroups
  ORDER BY CASE WHEN size(subgroups) > 0 THEN 0 ELSE 1 END, (p.rank * $shuffle + a.rank) % 2147483648, p.id
  LIMIT 1
}
// The shared code: their rarest shared subgroup, else their rarest shared main group.
UNWIND CASE WHEN size(subgroups) > 0 THEN subgroups
            ELSE [g IN a.main_groups WHERE g IN positive.main_groups] END AS shared_code
MATCH (c:CPC {code: shared_code})
WITH a, positive, c
ORDER BY c.patents, c.code
WITH a, positive, head(collect(c)) AS shared
WITH a, positive, shared, [(a)-[:CITES]-(x:Patent) | x] AS linked
CALL {
  WITH a, linked
  WITH a, linked, $lo + ((a.rank * $shuffle) % 2147483648) % $room AS start
  MATCH (n:Patent)
  WHERE n.rank >= start AND n.rank < start + $window AND n.rank < $hi
    AND none(g IN n.main_groups WHERE g IN a.main_groups)
    AND NOT n IN linked
  WITH a, n
  ORDER BY (n.rank * $shuffle + a.rank) % 2147483648, n.id
  LIMIT $negatives
  RETURN collect(n.id) AS negatives
}
RETURN a.id AS anchor, positive.id AS positive, shared.code AS shared_code, shared.level AS shared_level, negatives
