// name: 001_keys
// version: 1
// Unique keys for patents, CPC codes and the migration log, plus lookup indexes.
// Patent.number is the normalised patent number (11532378 for US11532378B2) so both kinds of id resolve.
CREATE CONSTRAINT patent_id IF NOT EXISTS FOR (p:Patent) REQUIRE p.id IS UNIQUE;
CREATE CONSTRAINT cpc_code IF NOT EXISTS FOR (c:CPC) REQUIRE c.code IS UNIQUE;
CREATE CONSTRAINT schema_migration_id IF NOT EXISTS FOR (m:SchemaMigration) REQUIRE m.id IS UNIQUE;
CREATE INDEX patent_number IF NOT EXISTS FOR (p:Patent) ON (p.number);
CREATE INDEX cpc_level IF NOT EXISTS FOR (c:CPC) ON (c.level);
