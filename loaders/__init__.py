"""Loaders: PatentsView bulk files and patent CSV exports into the graph."""
