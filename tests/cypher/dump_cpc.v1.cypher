// name: dump_cpc
// version: 1
// mode: read
// returns: code, props
// Every CPC node with its properties, by code: verifies loads and compares graphs.
MATCH (c:CPC)
RETURN c.code AS code, properties(c) AS props
ORDER BY code
