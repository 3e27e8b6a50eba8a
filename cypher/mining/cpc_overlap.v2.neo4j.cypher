// name: cpc_overlap
// version: 2
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
// v2: v1 with Neo4j 5's variable scope clause, CALL (a, ...) { ... }, for the
// deprecated importing WITH (same results); FalkorDB keeps v1's text.
// Positive: the candidate whose CPC codes overlap the anchor's most (Jaccard: shared codes over
// the codes of either), where cpc_hierarchy takes any patent holding the anchor's rarest shared
// code. A patent is mostly classified under several codes and shares the rarest one with patents
// that share nothing else: on the google-patents-ai data the positive shares one of the 129
// frequent codes with its anchor in 64% of triplets here against 37% there. Never a patent with
// the anchor's own abstract (a family member filed elsewhere teaches nothing).
// Candidates, shared code and hard negatives as in cpc_hierarchy v2: the patents of the split
// under the anchor's rarest codes, up to $max_candidates; shared_code = the rarest code the
// positive was found through; negatives from that code's subclass (or class), sharing no
// subgroup, no main group and no citation with the anchor. Reads every candidate's codes, so it
// mines about 4x slower than cpc_hierarchy.
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
// Positive: the best overlap; ties: found through the rarer code, then the anchor's shuffled order.
CALL (a, tried) {
  // Read here rather than carried through the ladder's aggregation: with the list carried,
  // FalkorDB 4.16.3 crashed (SIGSEGV in a list slice) in 3 of 3 full runs.
  WITH a, tried, [(a)-[:CLASSIFIED_AS]->(x) | x.code] AS anchor_codes
  UNWIND range(0, size(tried) - 1) AS i
  WITH a, anchor_codes, i, tried[i] AS code
  MATCH (code)<-[:CHILD_OF*0..3]-()<-[:CLASSIFIED_AS]-(p)
  WHERE p.rank >= $lo AND p.rank < $hi AND p <> a AND NOT coalesce(p.abstract = a.abstract, false)
  WITH a, anchor_codes, i, code, p, [(p)-[:CLASSIFIED_AS]->(x) | x.code] AS theirs
  WITH a, i, code, p, size([x IN theirs WHERE x IN anchor_codes]) AS common, size(theirs) + size(anchor_codes) AS sizes
  RETURN code AS shared, p AS positive
  ORDER BY toFloat(common) / (sizes - common) DESC, i, (p.rank * $shuffle + a.rank) % 2147483648, p.id
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
