// name: index_patent_main_groups
// version: 2
// mode: write
// returns: patents (number of patents indexed)
// Patent.main_groups = the codes of the CPC main groups the patent is classified under (a
// main-group code is its own main group). A hard-negative candidate must share no main group
// with its anchor; with the list on the node that test is one list comparison per candidate
// instead of a walk up the hierarchy from each of its codes.
// v2: the text of v1; the version follows Neo4j's batched v2 (the catalogue's newest version
// is chosen across dialects).
MATCH (p:Patent)-[:CLASSIFIED_AS]->(:CPC)-[:CHILD_OF*0..3]->(g:CPC {level: 'main_group'})
WITH p, collect(DISTINCT g.code) AS groups
SET p.main_groups = groups
RETURN count(p) AS patents
