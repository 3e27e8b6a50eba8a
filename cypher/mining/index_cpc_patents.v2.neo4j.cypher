// name: index_cpc_patents
// version: 2
// mode: write
// returns: codes (number of CPC nodes counted)
// CPC.patents = the number of patents classified at the code or anywhere below it. Mining reads
// it to try the rarest (most specific) shared codes first and to cap how many candidate patents
// it reads per anchor, without counting relationships for every anchor.
// v2 (Neo4j): one transaction per 1,000 codes, so a PatentsView-size graph (millions of patents)
// never needs the whole update in one transaction's memory. Same values as v1: a code with no
// patent below it is left as it is.
MATCH (x:CPC)
CALL (x) {
  MATCH (p:Patent)-[:CLASSIFIED_AS]->(:CPC)-[:CHILD_OF*0..4]->(x)
  WITH x, count(DISTINCT p) AS n
  SET x.patents = n
} IN TRANSACTIONS OF 1000 ROWS
RETURN count(x) AS codes
