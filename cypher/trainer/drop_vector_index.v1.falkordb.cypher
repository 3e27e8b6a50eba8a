// name: drop_vector_index
// version: 1
// mode: write
// returns: nothing
// Drops the Patent.embedding vector index (before a rebuild with other settings or another model).
DROP VECTOR INDEX FOR (p:Patent) ON (p.embedding)
