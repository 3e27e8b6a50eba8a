// name: create_classifications
// version: 2
// mode: write
// param $rows: maps {id, codes, sequences[, types]} (lists in step: code i has sequence i and type i), one per patent, each code once; patents this load created and has written no classification for yet, CPC codes already loaded
// returns: written
// load_classifications without MERGE: a patent created by this load has no CLASSIFIED_AS edge
// yet, so there is nothing to match against. After an interruption the loader no longer knows
// which patents it created and resumes with load_classifications.
// v2: parallel lists instead of a map per code (half the parameter text to render and parse).
UNWIND $rows AS row
MATCH (p:Patent {id: row.id})
UNWIND range(0, size(row.codes) - 1) AS i
MATCH (c:CPC {code: row.codes[i]})
CREATE (p)-[e:CLASSIFIED_AS {sequence: row.sequences[i], type: row.types[i]}]->(c)
RETURN count(e) AS written
