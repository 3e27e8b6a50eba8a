// name: load_classifications
// version: 1
// mode: write
// param $rows: maps {id, cpc: [{code, sequence, type}]}, one per patent; patents and CPC codes already loaded
// returns: written
// (:Patent)-[:CLASSIFIED_AS {sequence, type}]->(:CPC) at the most specific level given. MERGE never
// duplicates an edge; its properties are set when it is created (the first row for a pair wins,
// so replaying a batch after a crash changes nothing).
UNWIND $rows AS row
MATCH (p:Patent {id: row.id})
UNWIND row.cpc AS x
MATCH (c:CPC {code: x.code})
MERGE (p)-[e:CLASSIFIED_AS]->(c)
ON CREATE SET e.sequence = x.sequence, e.type = x.type
RETURN count(e) AS written
