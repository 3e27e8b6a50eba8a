// name: drop_vector_index
// version: 1
// mode: write
// returns: nothing
// Drops the patent_embedding vector index (before a rebuild with other settings or another model).
DROP INDEX patent_embedding IF EXISTS
