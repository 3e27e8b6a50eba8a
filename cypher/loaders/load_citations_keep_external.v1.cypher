// name: load_citations_keep_external
// version: 1
// mode: write
// param $rows: maps {id, cites: [{id, sequence, date, category, stub}]}, one per citing patent; stub: properties of an id-only cited patent
// returns: written
// Like load_citations, but a cited patent that is not in the graph becomes an id-only (:Patent)
// node (id, number, country, source) instead of being skipped (--keep-external-citations).
UNWIND $rows AS row
MATCH (a:Patent {id: row.id})
UNWIND row.cites AS x
MERGE (b:Patent {id: x.id})
ON CREATE SET b += x.stub
MERGE (a)-[c:CITES]->(b)
ON CREATE SET c.sequence = x.sequence, c.date = x.date, c.category = x.category
RETURN count(c) AS written
