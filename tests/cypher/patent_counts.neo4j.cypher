// Test support: how many Patent nodes hold each id (a duplicate would count 2).
MATCH (p:Patent)
RETURN p.id AS id, count(*) AS n
