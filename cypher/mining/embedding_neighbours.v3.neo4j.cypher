// name: embedding_neighbours
// version: 3
// mode: read
// param $anchors: anchor patent ids (one batch, all of one split)
// param $lo: lowest rank of the anchors' split: positives and negatives come from the same split
// param $hi: rank bound of the split (exclusive)
// param $shuffle: odd multiplier drawn from the seed; (rank * $shuffle + anchor rank) mod 2^31 orders every choice
// param $negatives: negatives wanted per anchor
// param $max_candidates: candidate patents read per anchor for the positive
// param $neighbours: nearest neighbours asked of the vector index per anchor (before the filters)
// param $margin: a neighbour is kept only if its cosine similarity to the anchor is below $margin times the positive's
// returns: anchor, positive, shared_code, shared_level, negatives (ids, nearest first); anchors without a positive return no row
// Hard negatives from the current embedding space. The positive is chosen as in cpc_hierarchy v2
// (the anchor's most specific shared code). Negatives: the anchor's nearest neighbours through
// the vector index over Patent.embedding that share no CPC code (subgroup) with the anchor, are
// not linked to it by a citation, and are not closer than the positive allows: a neighbour with
// similarity >= $margin * sim(anchor, positive) is probably an unlabelled positive and is skipped
// (NV-Retriever's relative margin, TopK-PercPos). Needs the vectors `patentcl embed` writes.
UNWIND $anchors AS anchor_id
MATCH (a:Patent {id: anchor_id})
WHERE a.embedding IS NOT NULL
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
  MATCH (code)<-[:CHILD_OF*0..3]-(:CPC)<-[:CLASSIFIED_AS]-(p:Patent)
  WHERE p.rank >= $lo AND p.rank < $hi AND p <> a AND p.embedding IS NOT NULL
  RETURN code AS shared, p AS positive
  ORDER BY i, (p.rank * $shuffle + a.rank) % 2147483648, p.id
  LIMIT 1
}
// Neo4j's vector scores are (1 + cosine) / 2 (index and vector.similarity.cosine): cosine = 2 * score - 1.
WITH a, shared, positive, 2.0 * vector.similarity.cosine(a.embedding, positive.embedding) - 1.0 AS positive_similarity
WITH a, shared, positive, positive_similarity,
     [(a)-[:CLASSIFIED_AS]->(c:CPC) | c] AS codes, [(a)-[:CITES]-(x:Patent) | x] AS linked
CALL (a, positive, positive_similarity, codes, linked) {
  CALL db.index.vector.queryNodes('patent_embedding', $neighbours, a.embedding) YIELD node, score
  WITH a, positive, positive_similarity, codes, linked, node AS n, 2.0 * score - 1.0 AS similarity
  WHERE n <> a AND n <> positive AND n.rank >= $lo AND n.rank < $hi AND NOT n IN linked
    AND similarity < $margin * positive_similarity
  WITH n, similarity, codes, [(n)-[:CLASSIFIED_AS]->(x:CPC) | x] AS neighbour_codes
  WHERE none(c IN neighbour_codes WHERE c IN codes)
  WITH n, similarity
  ORDER BY similarity DESC, n.id
  LIMIT $negatives
  RETURN collect(n.id) AS negatives
}
RETURN a.id AS anchor, positive.id AS positive, shared.code AS shared_code, shared.level AS shared_level, negatives
