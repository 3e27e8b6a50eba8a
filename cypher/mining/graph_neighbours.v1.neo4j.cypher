// name: graph_neighbours
// version: 1
// mode: read
// param $anchors: anchor patent ids (one batch, all of one split)
// param $lo: lowest rank of the anchors' split: positives and negatives come from the same split
// param $hi: rank bound of the split (exclusive)
// param $shuffle: odd multiplier drawn from the seed; (rank * $shuffle + anchor rank) mod 2^31 orders every choice
// param $negatives: negatives wanted per anchor
// param $positive_from: nearest GRAPH_NEIGHBOUR rank a positive may have (1 = the nearest)
// param $positive_to: farthest GRAPH_NEIGHBOUR rank a positive may have
// param $negative_from: nearest GRAPH_NEIGHBOUR rank a negative may have
// param $negative_to: farthest GRAPH_NEIGHBOUR rank a negative may have
// returns: anchor, positive, shared_code (the positive's rank, as text), shared_level ('graph_rank'), negatives (ids); anchors without a positive return no row
// SciNCL's sampling on the patent graph: FastRP over patents, CPC codes and citations (`patentcl
// graph-embed`) puts patents close that share codes and citations, including ones two hops
// apart that share no code. The positive is one of the anchor's nearest GRAPH_NEIGHBOURs (ranks
// $positive_from..$positive_to); hard negatives come from a farther band ($negative_from..
// $negative_to): close in the graph, but sharing no CPC code and no citation with the anchor.
// Only patents of the anchor's split; every choice in the anchor's shuffled order.
UNWIND $anchors AS anchor_id
MATCH (a:Patent {id: anchor_id})
CALL (a) {
  MATCH (a)-[r:GRAPH_NEIGHBOUR]->(p:Patent)
  WHERE r.rank >= $positive_from AND r.rank <= $positive_to AND p.rank >= $lo AND p.rank < $hi
  RETURN p AS positive, r.rank AS positive_rank
  ORDER BY (p.rank * $shuffle + a.rank) % 2147483648, p.id
  LIMIT 1
}
WITH a, positive, positive_rank,
     [(a)-[:CLASSIFIED_AS]->(c:CPC) | c] AS codes, [(a)-[:CITES]-(x:Patent) | x] AS linked
CALL (a, positive, codes, linked) {
  MATCH (a)-[r:GRAPH_NEIGHBOUR]->(n:Patent)
  WHERE r.rank >= $negative_from AND r.rank <= $negative_to AND n.rank >= $lo AND n.rank < $hi
    AND n <> positive AND NOT n IN linked
    AND NOT EXISTS { MATCH (n)-[:CLASSIFIED_AS]->(c:CPC) WHERE c IN codes }
  WITH n
  ORDER BY (n.rank * $shuffle + a.rank) % 2147483648, n.id
  LIMIT $negatives
  RETURN collect(n.id) AS negatives
}
RETURN a.id AS anchor, positive.id AS positive, toString(positive_rank) AS shared_code,
       'graph_rank' AS shared_level, negatives
