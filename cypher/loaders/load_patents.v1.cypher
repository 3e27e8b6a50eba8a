// name: load_patents
// version: 1
// mode: write
// param $rows: one map per patent: id plus the properties the source gives (absent keys leave a property unchanged)
// returns: written
// Creates or updates (:Patent) nodes by their unique id. Properties merge: a later row with a
// value replaces it, a row without one keeps it, so the same id from two files is one node.
UNWIND $rows AS row
MERGE (p:Patent {id: row.id})
SET p += row
RETURN count(p) AS written
