// name: load_cpc_parents
// version: 1
// mode: write
// param $rows: maps {code, parent}: a CPC code and the code one level up (both already loaded)
// returns: written
// Links the CPC hierarchy child-to-parent: subgroup -> main group -> subclass -> class -> section.
UNWIND $rows AS row
MATCH (child:CPC {code: row.code})
MATCH (parent:CPC {code: row.parent})
MERGE (child)-[r:CHILD_OF]->(parent)
RETURN count(r) AS written
