// name: set_patent_families
// version: 1
// mode: write
// param $rows: maps {id, family, rank}: family = the smallest id of the patent's family (patentcl.families), rank = patentcl.mining.splits.rank_of(family)
// returns: written
// Stores each patent's family and the rank its split is drawn from: the hash of the family key,
// not of the patent's own id, so every member of a family lands in the same split.
UNWIND $rows AS row
MATCH (p:Patent {id: row.id})
SET p.family = row.family, p.rank = row.rank
RETURN count(p) AS written
