// name: patent_ids_needing_vectors
// version: 1
// mode: read
// param $model: embedding model id (name@hash) whose vectors are wanted
// returns: id of every patent with text whose `embedding` was not made by $model
// What `patentcl embed` still has to encode: patents never embedded, or embedded by another model.
// Patents written by an interrupted run already carry $model and are skipped, so a rerun resumes.
MATCH (p:Patent)
WHERE (p.title IS NOT NULL OR p.abstract IS NOT NULL)
  AND (p.embedding_model IS NULL OR p.embedding_model <> $model)
RETURN p.id AS id
