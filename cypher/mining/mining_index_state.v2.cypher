// name: mining_index_state
// version: 2
// mode: read
// param $id: which index (cpc)
// returns: fingerprint (the graph counts the index was built from), version (null before version 2), families (JSON), built_at
// Whether the mining index is up to date: mining rebuilds it when the graph's counts or the
// index layout version differ from the ones recorded here.
MATCH (m:MiningIndex {id: $id})
RETURN m.fingerprint AS fingerprint, m.version AS version, m.families AS families, m.built_at AS built_at
