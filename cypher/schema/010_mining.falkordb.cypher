// name: 010_mining
// version: 10
// Indexes for mining (`patentcl mine`). Patent.rank is the stable hash of the patent id that
// mining writes: splits are rank ranges and the random-like choices order by it, so a range
// index makes "the patents of a split" and "a window of random patents" index scans.
CREATE INDEX FOR (p:Patent) ON (p.rank);
CREATE INDEX FOR (m:MiningIndex) ON (m.id);
