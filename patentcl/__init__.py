"""patentcl: graph-native patent similarity."""

__version__ = "0.1.0"
