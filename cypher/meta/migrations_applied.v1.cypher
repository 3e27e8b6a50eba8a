// name: migrations_applied
// version: 1
// mode: read
// returns: id, version, sha256 of every schema migration applied to this graph, in order
MATCH (m:SchemaMigration)
RETURN m.id AS id, m.version AS version, m.sha256 AS sha256
ORDER BY m.version
