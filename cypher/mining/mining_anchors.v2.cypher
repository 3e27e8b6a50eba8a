// name: mining_anchors
// version: 2
// mode: read
// param $shuffle: odd multiplier drawn from the seed; (rank * $shuffle) mod 2^31 is a permutation of the ranks
// param $limit: at most this many anchors
// returns: id, family, rank of each anchor, in mining order
// Every patent that can anchor a triplet (it has a rank, so text, and at least one CPC main
// group), in a seeded random-like order that depends on stored ranks alone (members of a family
// share a rank; the id breaks the tie): the same graph and seed give the same anchors in the same
// order on any engine. The family comes along so the miner can check the rank is its hash and
// put the anchor in its family's split.
MATCH (p:Patent)
WHERE p.rank >= 0 AND size(p.main_groups) > 0
RETURN p.id AS id, p.family AS family, p.rank AS rank
ORDER BY (p.rank * $shuffle) % 2147483648, p.id
LIMIT $limit
