// name: vector_index_info
// version: 1
// mode: read
// returns: dimension, similarity, m, ef_construction, ef_runtime, status of the patent_embedding vector index (no row: none)
// status is ONLINE once populated, POPULATING while Neo4j builds it. Neo4j has no per-index
// search-time ef (the query's k sets it), so ef_runtime is null.
SHOW VECTOR INDEXES YIELD name, options, state
WHERE name = 'patent_embedding'
RETURN options.indexConfig.`vector.dimensions` AS dimension,
       options.indexConfig.`vector.similarity_function` AS similarity,
       options.indexConfig.`vector.hnsw.m` AS m,
       options.indexConfig.`vector.hnsw.ef_construction` AS ef_construction,
       null AS ef_runtime, state AS status
