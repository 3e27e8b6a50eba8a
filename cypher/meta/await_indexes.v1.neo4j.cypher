// name: await_indexes
// version: 1
// mode: read
// param $seconds: how long to wait at most (an index still populating then is an error)
// returns: nothing
// Waits until every index (and the index of every constraint) is online: after migrations,
// queries planned while an index is still populating would scan instead.
CALL db.awaitIndexes($seconds)
