// name: embedding_models
// version: 1
// mode: read
// returns: id (name@hash, the value of Patent.embedding_model), name, path (model folder, where recorded), text_format, separator, dimension, patents
// The models that made the graph's vectors (normally one), so a text query is encoded by the
// same model as the patents it is compared with.
MATCH (m:EmbeddingModel)
RETURN m.id AS id, m.name AS name, m.path AS path, m.text_format AS text_format, m.separator AS separator,
       m.dimension AS dimension, m.patents AS patents
ORDER BY id
