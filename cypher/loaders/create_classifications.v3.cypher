// name: create_classifications
// version: 3
// mode: write
// param $codes: the batch's distinct CPC codes, each once (already loaded)
// param $rows: maps {id, at, sequences[, types]} (parallel lists: code $codes[at[i]] has sequence i and type i), one per patent, each code once; patents this load created and has written no classification for yet
// returns: written
// load_classifications without MERGE: a patent created by this load has no CLASSIFIED_AS edge
// yet, so there is nothing to match against. After an interruption the loader no longer knows
// which patents it created and resumes with load_classifications.
// v3: each CPC node is looked up once per batch, not once per edge (a batch of 5,000 patents has
// about 57,000 edges over a few thousand codes): twice the edges per second. `nodes` keeps a
// slot per code, null where a code is missing (its edges are skipped), and the WHERE checks
// that the slots line up with $codes (if not, the batch writes nothing, never a wrong edge).
UNWIND $codes AS code
OPTIONAL MATCH (c:CPC {code: code})
WITH collect([c]) AS nodes
WHERE all(k IN range(0, size($codes) - 1) WHERE nodes[k][0] IS NULL OR nodes[k][0].code = $codes[k])
UNWIND $rows AS row
MATCH (p:Patent {id: row.id})
UNWIND range(0, size(row.at) - 1) AS i
WITH p, nodes[row.at[i]][0] AS c, row.sequences[i] AS sequence, row.types[i] AS type
WHERE c IS NOT NULL
CREATE (p)-[e:CLASSIFIED_AS {sequence: sequence, type: type}]->(c)
RETURN count(e) AS written
