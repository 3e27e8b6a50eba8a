// name: index_cpc_patents
// version: 2
// mode: write
// returns: codes (number of CPC nodes counted)
// CPC.patents = the number of patents classified at the code or anywhere below it. Mining reads
// it to try the rarest (most specific) shared codes first and to cap how many candidate patents
// it reads per anchor, without counting relationships for every anchor.
// v2: the text of v1; the version follows Neo4j's batched v2 (the catalogue's newest version
// is chosen across dialects).
MATCH (p:Patent)-[:CLASSIFIED_AS]->(c:CPC)
WITH p, c
MATCH (c)-[:CHILD_OF*0..4]->(x:CPC)
WITH x, count(DISTINCT p) AS n
SET x.patents = n
RETURN count(x) AS codes
