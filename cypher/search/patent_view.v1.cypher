// name: patent_view
// version: 1
// mode: read
// param $id: the patent's id (Patent.id), as `lookup_patent` resolved it
// returns: id, number, title, abstract, date, country, has_vector, model, codes, citations (id, title, date, cites: true = this patent cites it, false = it cites this patent)
// The web app's patent page: its properties, CPC codes and citations both ways in one read (the
// code titles come from cpc_titles). Both directions come from one undirected pattern, told apart
// by startNode: FalkorDB's pattern comprehension returns nothing for an incoming-only pattern.
// A cited patent outside the loaded set (--keep-external-citations) is an id-only node: its title
// and date are null.
MATCH (p:Patent {id: $id})
RETURN p.id AS id, p.number AS number, p.title AS title, p.abstract AS abstract, p.date AS date,
       p.country AS country, p.embedding IS NOT NULL AS has_vector, p.embedding_model AS model,
       [(p)-[:CLASSIFIED_AS]->(c:CPC) | c.code] AS codes,
       [(p)-[r:CITES]-(q:Patent) | {id: q.id, title: q.title, date: q.date, cites: startNode(r) = p}] AS citations
