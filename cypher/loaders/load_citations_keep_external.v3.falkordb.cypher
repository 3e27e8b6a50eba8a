// name: load_citations_keep_external
// version: 3
// mode: write
// param $citing: maps {id, citations}, one per citing patent; citations: a list [cited, sequence, date, category, stub] per citation, stub: the properties of an id-only cited patent, null for a loaded one
// returns: written
// Like load_citations, but a cited patent that is not in the graph becomes an id-only (:Patent)
// node (id, number, country, source) instead of being skipped (--keep-external-citations).
// v3: a small list per citation instead of parallel lists (see load_citations v3 for FalkorDB).
UNWIND $citing AS row
MATCH (a:Patent {id: row.id})
UNWIND row.citations AS cite
MERGE (b:Patent {id: cite[0]})
ON CREATE SET b += cite[4]
MERGE (a)-[c:CITES]->(b)
ON CREATE SET c.sequence = cite[1], c.date = cite[2], c.category = cite[3]
RETURN count(c) AS written
