// name: unranked_patents
// version: 1
// mode: read
// param $all: true to list every patent with text, ranked or not (a rebuild rewrites every rank)
// returns: id of every patent with text (title or abstract) that has no rank yet
// The patents `patentcl mine` still has to hash. Patents without text (id-only citation stubs)
// get no rank, so mining never picks them: a triplet needs text on all three sides.
MATCH (p:Patent)
WHERE (p.rank IS NULL OR $all) AND (p.title IS NOT NULL OR p.abstract IS NOT NULL)
RETURN p.id AS id
