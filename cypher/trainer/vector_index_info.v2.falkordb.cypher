// name: vector_index_info
// version: 2
// mode: read
// returns: dimension, similarity (lower case: cosine), m, ef_construction, ef_runtime, quantized, status (ONLINE | POPULATING | FAILED) of the Patent.embedding vector index (no row: none)
// The same vocabulary as the Neo4j file, so callers need not know the engine: FalkorDB's
// OPERATIONAL is reported as ONLINE and UNDER CONSTRUCTION as POPULATING. FalkorDB stores and
// compares full float32 vectors, so quantized is always false.
CALL db.indexes() YIELD label, types, options, status
WITH label, types.embedding AS kinds, options.embedding AS config, status
WHERE label = 'Patent' AND 'VECTOR' IN kinds
RETURN config.dimension AS dimension, toLower(config.similarityFunction) AS similarity, config.M AS m,
       config.efConstruction AS ef_construction, config.efRuntime AS ef_runtime, false AS quantized,
       CASE status WHEN 'OPERATIONAL' THEN 'ONLINE' WHEN 'UNDER CONSTRUCTION' THEN 'POPULATING' ELSE status END AS status
