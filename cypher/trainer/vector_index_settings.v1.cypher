// name: vector_index_settings
// version: 1
// mode: read
// returns: dimension, m, ef_construction, ef_runtime as recorded by record_vector_index_settings (no row: none recorded)
// Fills in what vector_index_info cannot read from the engine (Neo4j's ef_runtime).
MATCH (s:VectorIndexSettings {id: 'Patent.embedding'})
RETURN s.dimension AS dimension, s.m AS m, s.ef_construction AS ef_construction, s.ef_runtime AS ef_runtime
