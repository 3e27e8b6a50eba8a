// name: create_vector_index
// version: 2
// mode: write
// param $dimension: embedding dimension of the model
// param $m: HNSW M, links per node (FalkorDB default 16)
// param $ef_construction: HNSW candidates while building (FalkorDB default 200)
// param $ef_runtime: HNSW candidates while searching (FalkorDB default 10, too low: see `patentcl bench index`)
// returns: nothing
// Cosine HNSW index over Patent.embedding; FalkorDB fills it from the vectors already stored.
// Same text as v1 (FalkorDB does not quantize): v2 exists because the Neo4j file changed and the
// catalogue takes the newest version for every dialect.
CREATE VECTOR INDEX FOR (p:Patent) ON (p.embedding)
OPTIONS {dimension: $dimension, similarityFunction: 'cosine', M: $m, efConstruction: $ef_construction, efRuntime: $ef_runtime}
