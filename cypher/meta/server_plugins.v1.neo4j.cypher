// name: server_plugins
// version: 1
// mode: read
// returns: neo4j, edition, apoc, gds (versions; fails if APOC or GDS is not loaded)
// The smoke check of a Neo4j that patentcl started: the server and both plugins answer.
CALL dbms.components() YIELD versions, edition
RETURN versions[0] AS neo4j, edition, apoc.version() AS apoc, gds.version() AS gds
