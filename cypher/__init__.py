"""The versioned Cypher catalogue, shipped as package data (see patentcl.catalogue)."""
