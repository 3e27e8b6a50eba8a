// name: load_classifications
// version: 2
// mode: write
// param $rows: maps {id, codes, sequences[, types]} (lists in step: code i has sequence i and type i), one per patent; patents and CPC codes already loaded
// returns: written
// (:Patent)-[:CLASSIFIED_AS {sequence, type}]->(:CPC) at the most specific level given. MERGE never
// duplicates an edge; its properties are set when it is created (the first row for a pair wins,
// so replaying a batch after a crash changes nothing).
// v2: parallel lists instead of a map per code (half the parameter text to render and parse).
UNWIND $rows AS row
MATCH (p:Patent {id: row.id})
UNWIND range(0, size(row.codes) - 1) AS i
MATCH (c:CPC {code: row.codes[i]})
MERGE (p)-[e:CLASSIFIED_AS]->(c)
ON CREATE SET e.sequence = row.sequences[i], e.type = row.types[i]
RETURN count(e) AS written
