// name: index_patent_main_groups
// version: 2
// mode: write
// returns: patents (number of patents visited)
// Patent.main_groups = the codes of the CPC main groups the patent is classified under (a
// main-group code is its own main group). A hard-negative candidate must share no main group
// with its anchor; with the list on the node that test is one list comparison per candidate
// instead of a walk up the hierarchy from each of its codes.
// v2 (Neo4j): one transaction per 5,000 patents (bounded memory on millions of patents). Same
// values as v1: a patent classified under no main group is left as it is.
MATCH (p:Patent)
CALL (p) {
  MATCH (p)-[:CLASSIFIED_AS]->(:CPC)-[:CHILD_OF*0..3]->(g:CPC {level: 'main_group'})
  WITH p, collect(DISTINCT g.code) AS groups
  SET p.main_groups = groups
} IN TRANSACTIONS OF 5000 ROWS
RETURN count(p) AS patents
