// name: count_patents_needing_vectors
// version: 1
// mode: read
// param $model: embedding model id (name@hash) whose vectors are wanted
// returns: patents (how many patents with text have no vector made by $model)
// The size of `patentcl embed`'s work, counted without listing the ids (which are read a page at
// a time by patent_ids_needing_vectors): the progress bar's total and the patents a --limit leaves.
MATCH (p:Patent)
WHERE (p.title IS NOT NULL OR p.abstract IS NOT NULL)
  AND (p.embedding_model IS NULL OR p.embedding_model <> $model)
RETURN count(p) AS patents
