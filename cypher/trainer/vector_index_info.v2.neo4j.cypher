// name: vector_index_info
// version: 2
// mode: read
// returns: dimension, similarity (lower case: cosine), m, ef_construction, ef_runtime, quantized, status (ONLINE | POPULATING | FAILED) of the patent_embedding vector index (no row: none)
// The same vocabulary as the FalkorDB file, so callers need not know the engine: Neo4j reports
// the similarity in upper case (COSINE), lowered here. Neo4j has no per-index search-time ef, so
// ef_runtime is null here: patentcl records the one it searches with in a VectorIndexSettings
// node (vector_index_settings). quantized is true for an index made before create_vector_index
// v2 (Neo4j's default): `patentcl embed` rebuilds such an index.
SHOW VECTOR INDEXES YIELD name, options, state
WHERE name = 'patent_embedding'
RETURN options.indexConfig.`vector.dimensions` AS dimension,
       toLower(options.indexConfig.`vector.similarity_function`) AS similarity,
       options.indexConfig.`vector.hnsw.m` AS m,
       options.indexConfig.`vector.hnsw.ef_construction` AS ef_construction,
       null AS ef_runtime,
       coalesce(options.indexConfig.`vector.quantization.enabled`, false) AS quantized,
       state AS status
