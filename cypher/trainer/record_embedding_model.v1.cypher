// name: record_embedding_model
// version: 1
// mode: write
// param $id: embedding model id (name@hash), the value of Patent.embedding_model
// param $props: {name, hash, path (model folder or hub id), dimension, text_format, separator, max_seq_length, base_model, patents, index_m, index_ef_construction, index_ef_runtime, embedded_at}
// returns: nothing
// The model behind the graph's vectors and vector index, so queries and people can see what
// made them (the model folder's patentcl_model.json has the full training provenance).
MERGE (m:EmbeddingModel {id: $id})
SET m += $props
