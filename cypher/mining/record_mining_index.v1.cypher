// name: record_mining_index
// version: 1
// mode: write
// param $id: which index (cpc)
// param $fingerprint: the graph counts the index was built from (a JSON string)
// param $built_at: ISO timestamp
// returns: nothing
// Records that the mining index (CPC.patents, Patent.main_groups) matches the graph as counted.
MERGE (m:MiningIndex {id: $id})
SET m.fingerprint = $fingerprint, m.built_at = $built_at
