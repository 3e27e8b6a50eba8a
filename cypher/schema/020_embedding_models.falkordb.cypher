// name: 020_embedding_models
// version: 20
// Unique id for the embedding models recorded by `patentcl embed` (name@hash, also stored on each
// Patent as embedding_model). FalkorDB needs the exact-match index before the constraint.
CREATE INDEX FOR (m:EmbeddingModel) ON (m.id);
GRAPH.CONSTRAINT CREATE UNIQUE NODE EmbeddingModel PROPERTIES 1 id;
