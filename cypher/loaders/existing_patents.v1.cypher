// name: existing_patents
// version: 1
// mode: read
// param $ids: patent ids (Patent.id)
// returns: id, one row per id already in the graph
// The loader asks this before writing a batch: patents not yet in the graph are CREATEd
// (create_patents, create_classifications), cheaper than MERGE, and the others MERGEd.
UNWIND $ids AS id
MATCH (p:Patent {id: id})
RETURN p.id AS id
