// name: load_cpc_titles
// version: 1
// mode: write
// param $rows: maps {code, title}: CPC titles from g_cpc_title
// returns: written
// Titles for the CPC nodes the load created; titles of codes no loaded patent uses match nothing
// (the title table covers the whole scheme, about 260,000 groups).
UNWIND $rows AS row
MATCH (c:CPC {code: row.code})
SET c.title = row.title
RETURN count(c) AS written
