"""Acceptance over the corpus and the published bundles."""
