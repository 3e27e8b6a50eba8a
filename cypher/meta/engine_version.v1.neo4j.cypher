// name: engine_version
// version: 1
// mode: read
// returns: version, edition of the Neo4j server
CALL dbms.components() YIELD versions, edition
RETURN versions[0] AS version, edition
