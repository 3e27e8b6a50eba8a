"""The project's metrics as sentence-transformers evaluators, one concept per module (as the
library's own `evaluation` package): `cpc_knn` (CPC codes by a neighbours' vote, micro-F1) and
`retrieval` (MAP and nDCG of held-out patents). Training selects checkpoints with them, and
`patentcl evaluate` reports through them, so both speak of the same figures."""
