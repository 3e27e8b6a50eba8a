"""Mining: versioned Cypher strategies that mine hard-negative triplets."""
