// name: 020_embedding_models
// version: 20
// Unique id for the embedding models recorded by `patentcl embed` (name@hash, also stored on each
// Patent as embedding_model).
CREATE CONSTRAINT embedding_model_id IF NOT EXISTS FOR (m:EmbeddingModel) REQUIRE m.id IS UNIQUE;
