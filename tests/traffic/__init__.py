"""proxy and serve."""
