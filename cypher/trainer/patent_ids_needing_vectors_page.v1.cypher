// name: patent_ids_needing_vectors_page
// version: 1
// mode: read
// param $model: embedding model id (name@hash) whose vectors are wanted
// param $after: the last id of the previous page ('' for the first page)
// param $limit: ids per page
// returns: id of the next $limit patents with text, in id order after $after, whose `embedding` was not made by $model
// What `patentcl embed` still has to encode, one page at a time (patent_ids_needing_vectors
// lists every id at once: millions of rows held in memory on a PatentsView graph). Paging by id
// along the Patent.id index keeps each answer small and never holds a read open across the
// writes; patents written by an interrupted run already carry $model and are skipped, so a
// rerun resumes.
MATCH (p:Patent)
WHERE p.id > $after
  AND (p.title IS NOT NULL OR p.abstract IS NOT NULL)
  AND (p.embedding_model IS NULL OR p.embedding_model <> $model)
RETURN p.id AS id
ORDER BY id
LIMIT $limit
