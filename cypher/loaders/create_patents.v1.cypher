// name: create_patents
// version: 1
// mode: write
// param $rows: one map per patent not yet in the graph (existing_patents said so): id plus the properties the source gives, one row per id
// returns: written
// CREATE instead of load_patents' MERGE: no lookup per row. The uniqueness constraint on
// Patent.id still holds: if another loader created one of these ids meanwhile, the query fails
// as a whole and the loader writes the batch with load_patents.
UNWIND $rows AS row
CREATE (p:Patent)
SET p = row
RETURN count(p) AS written
