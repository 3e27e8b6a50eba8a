// name: delete_classifications
// version: 1
// mode: write
// param $rows: maps {id}: patents whose CPC codes a later row replaces (a later CSV row, or a patent's first g_cpc_current rows in a load)
// returns: written
// Deletes the patents' CLASSIFIED_AS edges before create_classifications writes the replacing
// codes, so a patent never holds a mix of two rows' codes (README.md, Loading patents). Run
// again after a crash it deletes what the interrupted batch wrote, which that batch writes again.
UNWIND $rows AS row
MATCH (:Patent {id: row.id})-[e:CLASSIFIED_AS]->(:CPC)
DELETE e
RETURN count(e) AS written
