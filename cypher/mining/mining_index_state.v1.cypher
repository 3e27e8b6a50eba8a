// name: mining_index_state
// version: 1
// mode: read
// param $id: which index (cpc)
// returns: fingerprint (the graph counts the index was built from), built_at
// Whether CPC.patents and Patent.main_groups are up to date: mining rebuilds them when the graph's
// counts differ from the ones recorded here.
MATCH (m:MiningIndex {id: $id})
RETURN m.fingerprint AS fingerprint, m.built_at AS built_at
