// name: record_mining_index
// version: 2
// mode: write
// param $id: which index (cpc)
// param $fingerprint: the graph counts the index was built from (a JSON string)
// param $version: the version of the index's layout (patentcl.mining.index.INDEX_VERSION)
// param $families: family figures of the last family pass (a JSON string)
// param $built_at: ISO timestamp
// returns: nothing
// Records that the mining index (families and ranks, CPC.patents, Patent.main_groups) matches the
// graph as counted, and which layout built it: an index recorded by an older layout (version 1
// had no families and ranked patents by their own id) is rebuilt.
MERGE (m:MiningIndex {id: $id})
SET m.fingerprint = $fingerprint, m.version = $version, m.families = $families, m.built_at = $built_at
