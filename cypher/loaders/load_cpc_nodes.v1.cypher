// name: load_cpc_nodes
// version: 1
// mode: write
// param $rows: maps {code, level[, title]}: normalised CPC codes (G, G06, G06N, G06N3/00, G06N3/084)
// returns: written
// Creates or updates (:CPC) nodes by their unique code.
UNWIND $rows AS row
MERGE (c:CPC {code: row.code})
SET c += row
RETURN count(c) AS written
