// name: load_abstracts
// version: 1
// mode: write
// param $rows: maps {id, abstract} for patents already loaded
// returns: written
// Sets the abstract of loaded patents (PatentsView ships abstracts in g_patent_abstract since 2024).
// Ids that are not in the graph match nothing and are not counted.
UNWIND $rows AS row
MATCH (p:Patent {id: row.id})
SET p.abstract = row.abstract
RETURN count(p) AS written
