// name: suggest_calibration
// version: 1
// mode: read
// param $model: embedding model id (name@hash, the value of Patent.embedding_model)
// returns: calibration (JSON text: per CPC level, the k and threshold chosen on validation patents; null if never calibrated)
// What `patentcl suggest-cpc` uses for this model's vectors (written by `patentcl calibrate-cpc`).
MATCH (m:EmbeddingModel {id: $model})
RETURN m.suggest_cpc AS calibration
