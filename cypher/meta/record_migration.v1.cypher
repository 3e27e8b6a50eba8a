// name: record_migration
// version: 1
// mode: write
// param $id: migration name, e.g. 001_keys
// param $version: migration number
// param $sha256: hash of the migration file as applied
// param $applied_at: ISO timestamp
// returns: nothing
MERGE (m:SchemaMigration {id: $id})
SET m.version = $version, m.sha256 = $sha256, m.applied_at = $applied_at
