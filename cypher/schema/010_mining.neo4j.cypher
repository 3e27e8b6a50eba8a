// name: 010_mining
// version: 10
// Indexes for mining (`patentcl mine`). Patent.rank is the stable hash of the patent id that
// mining writes: splits are rank ranges and the random-like choices order by it, so a range
// index makes "the patents of a split" and "a window of random patents" index scans.
CREATE INDEX patent_rank IF NOT EXISTS FOR (p:Patent) ON (p.rank);
CREATE CONSTRAINT mining_index_id IF NOT EXISTS FOR (m:MiningIndex) REQUIRE m.id IS UNIQUE;
