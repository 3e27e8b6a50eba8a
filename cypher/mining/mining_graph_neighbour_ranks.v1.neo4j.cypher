// name: mining_graph_neighbour_ranks
// version: 1
// mode: read
// param $ids: anchor patent ids
// returns: id, neighbours (list of {id, rank}: the anchor's GRAPH_NEIGHBOURs)
// What the graph-neighbours triplet check needs: the positive and each negative must lie in their
// band of the anchor's GRAPH_NEIGHBOUR ranks, read here from the relationships themselves.
UNWIND $ids AS id
MATCH (p:Patent {id: id})
RETURN p.id AS id, [(p)-[r:GRAPH_NEIGHBOUR]->(x:Patent) | {id: x.id, rank: r.rank}] AS neighbours
