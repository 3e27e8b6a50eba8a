// name: cpc_hierarchy
// version: 3
// mode: read
// param $anchors: anchor patent ids (one batch, all of one split)
// param $lo: lowest rank of the anchors' split: positives and negatives come from the same split
// param $hi: rank bound of the split (exclusive)
// param $shuffle: odd multiplier drawn from the seed; (rank * $shuffle + anchor rank) mod 2^31 orders every choice
// param $negatives: negatives wanted per anchor
// param $negative_level: 'subclass' (default) or 'class': the CPC area a hard negative must share with the shared code
// param $max_candidates: candidate patents read per anchor, for the positive and again for the negatives
// param $max_groups: sibling main groups visited per anchor when looking for negatives
// returns: anchor, positive, shared_code, shared_level, negatives (ids); anchors without a positive return no row
// v3: v2 with Neo4j 5's variable scope clause, CALL (a, ...) { ... }, for the
// deprecated importing WITH (same results); FalkorDB keeps v2's text.
// The default strategy. Positive: a patent sharing the anchor's most specific code, that is its
// rarest shared subgroup, else its rarest shared main group. Hard negatives: patents in the same
// subclass (or class) as that code that share no subgroup and no main group with the anchor and
// are not linked to it by a citation.
// Shape, for speed: the anchor's codes are read once; codes are tried rarest first and only until
// $max_candidates patents have been read (the rarest is always tried); negatives are drawn from
// codes of up to $max_groups sibling main groups picked per anchor by stored hash: at most 32
// codes, each with at most a quarter of $max_candidates patents (one broad code cannot fill the
// budget), again within $max_candidates patents. Needs the mining index (Patent.rank,
// Patent.main_groups, CPC.patents, CPC.rank) that `patentcl mine` keeps up to date.
UNWIND $anchors AS anchor_id
MATCH (a:Patent {id: anchor_id})
WITH a
// The codes the anchor could share: its subgroups, then its main groups, rarest first.
MATCH (a)-[:CLASSIFIED_AS]->(c:CPC)
WITH a, [x IN collect(c) WHERE x.level = 'subgroup' AND x.patents > 1] AS subgroups
UNWIND a.main_groups AS group_code
MATCH (g:CPC {code: group_code})
WITH a, subgroups, collect(g) AS groups
UNWIND subgroups + [x IN groups WHERE x.patents > 1] AS c
WITH a, c
ORDER BY CASE c.level WHEN 'subgroup' THEN 0 ELSE 1 END, c.patents, c.code
WITH a, collect(c) AS ladder
WITH a, [i IN range(0, size(ladder) - 1)
         WHERE i = 0 OR reduce(n = 0, x IN ladder[..i + 1] | n + x.patents) <= $max_candidates | ladder[i]] AS tried
// Positive: the first code tried that has another patent of the split; among its patents, the
// first in the anchor's shuffled order.
CALL (a, tried) {
  UNWIND range(0, size(tried) - 1) AS i
  WITH a, i, tried[i] AS code
  MATCH (code)<-[:CHILD_OF*0..3]-()<-[:CLASSIFIED_AS]-(p)
  WHERE p.rank >= $lo AND p.rank < $hi AND p <> a
  RETURN code AS shared, p AS positive
  ORDER BY i, (p.rank * $shuffle + a.rank) % 2147483648, p.id
  LIMIT 1
}
// Where negatives are looked for: the subclass (or class) of the shared code.
MATCH (shared)-[:CHILD_OF*0..3]->(area:CPC {level: $negative_level})
CALL (a, area) {
  MATCH (area)<-[:CHILD_OF*0..1]-(:CPC {level: 'subclass'})<-[:CHILD_OF]-(g:CPC {level: 'main_group'})
  WHERE NOT g.code IN a.main_groups
  WITH a, g
  ORDER BY (g.rank * $shuffle + a.rank) % 2147483648, g.code
  LIMIT $max_groups
  MATCH (g)<-[:CHILD_OF*0..3]-(c)
  WHERE c.patents <= $max_candidates / 4
  WITH a, c
  ORDER BY (c.rank * $shuffle + a.rank) % 2147483648, c.code
  LIMIT 32
  RETURN collect(c) AS codes
}
// Sources: those codes in the anchor's order, as long as their patents add up to $max_candidates.
WITH a, shared, positive, a.main_groups AS groups, [(a)-[:CITES]-(x:Patent) | x] AS linked,
     [i IN range(0, size(codes) - 1)
      WHERE reduce(n = 0, x IN codes[..i + 1] | n + x.patents) <= $max_candidates | codes[i]] AS sources
CALL (a, groups, linked, sources) {
  UNWIND sources AS c
  MATCH (c)<-[:CLASSIFIED_AS]-(n)
  WHERE n.rank >= $lo AND n.rank < $hi
    AND none(g IN n.main_groups WHERE g IN groups)
    AND NOT n IN linked
  WITH DISTINCT a, n
  ORDER BY (n.rank * $shuffle + a.rank) % 2147483648, n.id
  LIMIT $negatives
  RETURN collect(n.id) AS negatives
}
RETURN a.id AS anchor, positive.id AS positive, shared.code AS shared_code, shared.level AS shared_level, negatives
