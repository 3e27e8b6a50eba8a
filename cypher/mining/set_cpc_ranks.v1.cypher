// name: set_cpc_ranks
// version: 1
// mode: write
// param $rows: maps {code, rank}: rank = the first 31 bits of sha256(code)
// returns: written
// Stores each CPC code's stable hash, by which hard-negative searches visit sibling groups.
UNWIND $rows AS row
MATCH (c:CPC {code: row.code})
SET c.rank = row.rank
RETURN count(c) AS written
