// name: 001_keys
// version: 1
// Unique keys for patents, CPC codes and the migration log, plus lookup indexes.
// FalkorDB needs an exact-match (range) index before a unique constraint, and creates constraints
// through its GRAPH.CONSTRAINT command (patentcl adds the graph key). Range indexes must exist
// before bulk MERGEs: without them every MERGE scans its label.
CREATE INDEX FOR (p:Patent) ON (p.id);
CREATE INDEX FOR (c:CPC) ON (c.code);
CREATE INDEX FOR (m:SchemaMigration) ON (m.id);
CREATE INDEX FOR (p:Patent) ON (p.number);
CREATE INDEX FOR (c:CPC) ON (c.level);
GRAPH.CONSTRAINT CREATE UNIQUE NODE Patent PROPERTIES 1 id;
GRAPH.CONSTRAINT CREATE UNIQUE NODE CPC PROPERTIES 1 code;
