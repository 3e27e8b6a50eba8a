// name: patent_family_sources
// version: 1
// mode: read
// returns: id, abstract, family (stored family key or null), rank (stored rank or null) of every patent with text
// What the family pass of the mining index reads: families are computed in Python
// (patentcl.families: Unicode normalisation has no Cypher equivalent), and only patents whose
// stored family or rank differs from the computed one are written back. Patents without text
// (citation stubs) are never mined, so they get no family.
MATCH (p:Patent)
WHERE p.title IS NOT NULL OR p.abstract IS NOT NULL
RETURN p.id AS id, p.abstract AS abstract, p.family AS family, p.rank AS rank
