// name: load_classifications
// version: 3
// mode: write
// param $codes: the batch's distinct CPC codes, each once (already loaded)
// param $rows: maps {id, at, sequences[, types]} (parallel lists: code $codes[at[i]] has sequence i and type i), one per patent; patents already loaded
// returns: written
// (:Patent)-[:CLASSIFIED_AS {sequence, type}]->(:CPC) at the most specific level given. MERGE never
// duplicates an edge; its properties are set when it is created (the first row for a pair wins,
// so replaying a batch after a crash changes nothing).
// v3: each CPC node is looked up once per batch, not once per edge (see create_classifications v3).
UNWIND $codes AS code
OPTIONAL MATCH (c:CPC {code: code})
WITH collect([c]) AS nodes
WHERE all(k IN range(0, size($codes) - 1) WHERE nodes[k][0] IS NULL OR nodes[k][0].code = $codes[k])
UNWIND $rows AS row
MATCH (p:Patent {id: row.id})
UNWIND range(0, size(row.at) - 1) AS i
WITH p, nodes[row.at[i]][0] AS c, row.sequences[i] AS sequence, row.types[i] AS type
WHERE c IS NOT NULL
MERGE (p)-[e:CLASSIFIED_AS]->(c)
ON CREATE SET e.sequence = sequence, e.type = type
RETURN count(e) AS written
