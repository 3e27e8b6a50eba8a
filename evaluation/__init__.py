"""Side-by-side model evaluation: CPC prediction, triplet accuracy, retrieval, figures."""
