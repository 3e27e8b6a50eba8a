// name: load_citations
// version: 3
// mode: write
// param $rows: maps {id, cited, sequences, dates, categories} (lists in step: citation i cites cited[i]), one per citing patent
// returns: written
// (:Patent)-[:CITES {sequence, date, category}]->(:Patent) between patents in the graph. A cited
// patent that is not in the graph matches nothing: the row is skipped, and the caller counts it
// (rows sent minus `written`). Edge properties are set on creation (first row wins).
// v2: parallel lists instead of a map per citation (less parameter text to render and parse).
// v3: the engines part: FalkorDB takes a small list per citation (see its file); on Neo4j,
// which does not copy lists, these parallel lists are faster (measured on 50K realistic
// patents: 11.3-12.3 s against 14.4-15.2 s with a list per citation).
UNWIND $rows AS row
MATCH (a:Patent {id: row.id})
UNWIND range(0, size(row.cited) - 1) AS i
MATCH (b:Patent {id: row.cited[i]})
MERGE (a)-[c:CITES]->(b)
ON CREATE SET c.sequence = row.sequences[i], c.date = row.dates[i], c.category = row.categories[i]
RETURN count(c) AS written
