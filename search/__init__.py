"""Similarity lookup and CPC suggestion through the graph's vector index."""
