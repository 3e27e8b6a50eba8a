// name: record_vector_index_settings
// version: 1
// mode: write
// param $dimension: embedding dimension the index was built for
// param $m: HNSW M the index was built with
// param $ef_construction: HNSW candidates while building
// param $ef_runtime: HNSW candidates while searching
// returns: nothing
// The settings the vector index was built with, beside it in the graph. Neo4j keeps no
// search-time ef per index (it searches with each query's k), so its vector_knn and
// similar_patents read ef_runtime from here and ask the index for max(k, ef_runtime) candidates,
// as FalkorDB's efRuntime does. A separate query: Neo4j cannot write data in the statement that
// creates an index.
MERGE (s:VectorIndexSettings {id: 'Patent.embedding'})
SET s.dimension = $dimension, s.m = $m, s.ef_construction = $ef_construction, s.ef_runtime = $ef_runtime
