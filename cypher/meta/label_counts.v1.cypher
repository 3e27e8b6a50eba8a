// name: label_counts
// version: 1
// mode: read
// returns: label, count (nodes per label)
MATCH (n)
UNWIND labels(n) AS label
RETURN label, count(*) AS count
ORDER BY label
