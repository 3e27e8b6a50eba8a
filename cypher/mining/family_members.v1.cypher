// name: family_members
// version: 1
// mode: read
// returns: id, family of every patent that belongs to another patent's family (its family key is not its own id)
// The patents a family moves: their split is drawn from the family key's rank instead of their
// own id's, which the mining manifest counts. Family heads (key = own id) and lone patents are not
// listed, so this stays small next to the graph.
MATCH (p:Patent)
WHERE p.family IS NOT NULL AND p.family <> p.id
RETURN p.id AS id, p.family AS family
