// name: create_classifications
// version: 1
// mode: write
// param $rows: maps {id, cpc: [{code, sequence, type}]}, one per patent, each code once; patents this load created and has written no classification for yet, CPC codes already loaded
// returns: written
// load_classifications without MERGE: a patent created by this load has no CLASSIFIED_AS edge
// yet, so there is nothing to match against. After an interruption the loader no longer knows
// which patents it created and resumes with load_classifications.
UNWIND $rows AS row
MATCH (p:Patent {id: row.id})
UNWIND row.cpc AS x
MATCH (c:CPC {code: x.code})
CREATE (p)-[e:CLASSIFIED_AS {sequence: x.sequence, type: x.type}]->(c)
RETURN count(e) AS written
