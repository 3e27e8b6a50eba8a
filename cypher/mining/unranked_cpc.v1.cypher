// name: unranked_cpc
// version: 1
// mode: read
// param $all: true to list every CPC code, ranked or not (a rebuild rewrites every rank)
// returns: code of every CPC node without a rank yet
// The CPC codes `patentcl mine` still has to hash (the hash orders sibling groups and codes).
MATCH (c:CPC)
WHERE c.rank IS NULL OR $all
RETURN c.code AS code
