"""Trainer: fine-tune sentence embeddings on mined triplets, write vectors back, build the index."""
