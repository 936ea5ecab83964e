"""Generated documents, the fuzz command, the pytest plugin."""
