// Test support: in an open transaction, takes the locks on the uniqueness-constraint entries of
// Patent $ids (and makes the patents), so that a loader's batch of one of them waits for it.
UNWIND $ids AS id
MERGE (:Patent {id: id})
