// name: cpc_titles
// version: 1
// mode: read
// param $codes: CPC codes at any level, e.g. ['G06N3/084', 'G06N3/00', 'G06N']
// returns: code, title, level (codes not in the graph return no row)
// Titles of suggested CPC codes, where the loader stored them.
UNWIND $codes AS code
MATCH (c:CPC {code: code})
RETURN c.code AS code, c.title AS title, c.level AS level
