// name: mining_patent_facts
// version: 2
// mode: read
// param $ids: patent ids (Patent.id): the anchors, positives and negatives of one batch
// returns: id, title, abstract, family (the family key, null without a mining index), codes (the CPC codes the patent is classified at)
// What a triplet file needs (the texts) and what its checks read: the graph's own classifications,
// not the mining index, so a stale index cannot pass its own test; the family key, from which the
// check recomputes the split (a hash of the key, not the stored rank).
UNWIND $ids AS id
MATCH (p:Patent {id: id})
RETURN p.id AS id, p.title AS title, p.abstract AS abstract, p.family AS family,
       [(p)-[:CLASSIFIED_AS]->(c:CPC) | c.code] AS codes
