// name: vector_index_info
// version: 1
// mode: read
// returns: dimension, similarity, m, ef_construction, ef_runtime, status of the Patent.embedding vector index (no row: none)
// status is OPERATIONAL once the index holds every vector, UNDER CONSTRUCTION while it is built.
CALL db.indexes() YIELD label, types, options, status
WITH label, types.embedding AS kinds, options.embedding AS config, status
WHERE label = 'Patent' AND 'VECTOR' IN kinds
RETURN config.dimension AS dimension, config.similarityFunction AS similarity, config.M AS m,
       config.efConstruction AS ef_construction, config.efRuntime AS ef_runtime, status
