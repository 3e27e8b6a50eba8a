// name: patent_cpc_codes
// version: 1
// mode: read
// param $ids: patent ids (Patent.id), e.g. the anchors, positives and negatives of mined triplets
// returns: id, codes (the CPC codes the patent is classified at, usually subgroups), main_groups (their main groups)
// The trainer's false-negative guard: two patents of one batch that share a code are neighbours,
// so neither may serve as the other's in-batch negative. Main groups are found through the CPC
// hierarchy (a main-group code is its own main group). Ids not in the graph return no row.
UNWIND $ids AS id
MATCH (p:Patent {id: id})-[:CLASSIFIED_AS]->(c:CPC)
OPTIONAL MATCH (c)-[:CHILD_OF*0..4]->(g:CPC {level: 'main_group'})
RETURN p.id AS id, collect(DISTINCT c.code) AS codes, collect(DISTINCT g.code) AS main_groups
