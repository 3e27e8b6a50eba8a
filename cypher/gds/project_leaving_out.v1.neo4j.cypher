// name: project_leaving_out
// version: 1
// mode: read
// param $graph_name: name of the in-memory graph to create in the GDS catalogue
// param $types: relationship types to project (those the graph holds of CLASSIFIED_AS, CHILD_OF, CITES)
// param $leave_out: patent ids whose CLASSIFIED_AS edges are left out (the patents stay, with their citations)
// returns: the map gds.graph.project returns (graphName, nodeCount, relationshipCount, ...), one column as the client expects
// The projection of patentcl.graph.gds when some patents' classifications must not reach the
// embedding (the held-out patents of a CPC evaluation: their own codes would be the answer). A
// native projection cannot leave out single edges, so this is a Cypher projection of the same
// nodes and types, every type undirected as in the native one. Run by the client's
// gds.graph.project.cypher.
MATCH (source)
WHERE source:Patent OR source:CPC
OPTIONAL MATCH (source)-[r]->(target)
WHERE type(r) IN $types AND (target:Patent OR target:CPC)
  AND NOT (type(r) = 'CLASSIFIED_AS' AND source.id IN $leave_out)
RETURN gds.graph.project($graph_name, source, target, {
       sourceNodeLabels: CASE WHEN source:Patent THEN 'Patent' ELSE 'CPC' END,
       targetNodeLabels: CASE WHEN target IS NULL THEN NULL WHEN target:Patent THEN 'Patent' ELSE 'CPC' END,
       relationshipType: CASE WHEN r IS NULL THEN NULL ELSE type(r) END
     }, {undirectedRelationshipTypes: ['*']}) AS projection
