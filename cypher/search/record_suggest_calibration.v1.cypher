// name: record_suggest_calibration
// version: 1
// mode: write
// param $model: embedding model id (name@hash, the value of Patent.embedding_model)
// param $calibration: JSON text: per CPC level, {k, threshold, micro_f1, macro_f1}, and the validation patents used
// returns: updated (1 if the model is in the graph, else 0)
// Stores the CPC-suggestion settings chosen on validation patents with the model that made the
// graph's vectors; re-embedding with another model starts uncalibrated.
MATCH (m:EmbeddingModel {id: $model})
SET m.suggest_cpc = $calibration
RETURN count(m) AS updated
