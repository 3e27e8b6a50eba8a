// name: mining_patent_counts
// version: 1
// mode: read
// returns: patents (that can be mined: ranked, so with text, and classified), with_vectors (of those, how many hold an embedding)
// How many patents a run draws from (random negatives are read from rank windows sized by it),
// and whether strategy embedding_neighbours can run: it needs the vectors `patentcl embed` writes.
MATCH (p:Patent)
WHERE p.rank >= 0 AND size(p.main_groups) > 0
RETURN count(p) AS patents, count(p.embedding) AS with_vectors
