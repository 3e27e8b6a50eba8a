// name: mining_anchor_links
// version: 1
// mode: read
// param $ids: anchor patent ids of one batch
// returns: id, cites (ids of the patents it cites), cited_by (ids of the patents citing it)
// The citations a triplet check needs: a negative must not be linked to its anchor by a citation
// (either way), and a cited-shared-cpc positive must be cited by it.
UNWIND $ids AS id
MATCH (p:Patent {id: id})
RETURN p.id AS id, [(p)-[:CITES]->(x:Patent) | x.id] AS cites, [(p)<-[:CITES]-(x:Patent) | x.id] AS cited_by
