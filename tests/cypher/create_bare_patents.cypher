// Test support: $n patents with a title and nothing else, for measurements that need many
// vectors (random ones) but no loader: the vector index's recall against the exact scan.
UNWIND range(0, $n - 1) AS i
CREATE (:Patent {id: 'RANDOM' + toString(i), title: 'random vector ' + toString(i)})
