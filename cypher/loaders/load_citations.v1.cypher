// name: load_citations
// version: 1
// mode: write
// param $rows: maps {id, cites: [{id, sequence, date, category}]}, one per citing patent
// returns: written
// (:Patent)-[:CITES {sequence, date, category}]->(:Patent) between patents in the graph. A cited
// patent that is not in the graph matches nothing: the row is skipped, and the caller counts it
// (rows sent minus `written`). Edge properties are set on creation (first row wins).
UNWIND $rows AS row
MATCH (a:Patent {id: row.id})
UNWIND row.cites AS x
MATCH (b:Patent {id: x.id})
MERGE (a)-[c:CITES]->(b)
ON CREATE SET c.sequence = x.sequence, c.date = x.date, c.category = x.category
RETURN count(c) AS written
