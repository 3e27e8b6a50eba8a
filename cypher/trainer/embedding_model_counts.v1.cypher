// name: embedding_model_counts
// version: 1
// mode: read
// returns: model (embedding model id, or 'unknown' for a vector without one), patents
// Which models made the vectors now in the graph: `patentcl embed` refuses to mix two models.
MATCH (p:Patent)
WHERE p.embedding IS NOT NULL
RETURN coalesce(p.embedding_model, 'unknown') AS model, count(*) AS patents
ORDER BY patents DESC
