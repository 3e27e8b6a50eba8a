// name: set_patent_ranks
// version: 1
// mode: write
// param $rows: maps {id, rank}: rank = the first 31 bits of sha256(id), computed by patentcl.mining.splits.rank_of
// returns: written
// Stores each patent's stable hash. Cypher has no portable hash function, so Python computes it;
// it depends on the id alone, so rewriting it never changes it.
UNWIND $rows AS row
MATCH (p:Patent {id: row.id})
SET p.rank = row.rank
RETURN count(p) AS written
