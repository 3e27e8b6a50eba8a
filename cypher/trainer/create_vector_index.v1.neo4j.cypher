// name: create_vector_index
// version: 1
// mode: write
// param $dimension: embedding dimension of the model
// param $m: HNSW M, links per node (Neo4j default 16)
// param $ef_construction: HNSW candidates while building (Neo4j default 100)
// returns: nothing
// Cosine HNSW index over Patent.embedding, populated in the background (vector_index_info
// reports ONLINE when done). Neo4j sets the search-time ef from each query's k.
CREATE VECTOR INDEX patent_embedding IF NOT EXISTS
FOR (p:Patent) ON (p.embedding)
OPTIONS {indexConfig: {
  `vector.dimensions`: toInteger($dimension),
  `vector.similarity_function`: 'cosine',
  `vector.hnsw.m`: toInteger($m),
  `vector.hnsw.ef_construction`: toInteger($ef_construction)
}}
