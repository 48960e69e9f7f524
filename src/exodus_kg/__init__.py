"""exodus-kg: the knowledge graph of one article, as linked data, and the `exodus` CLI."""

# Kept as a literal (not importlib.metadata) so that importing the package stays cheap.
__version__ = "0.1.0"
