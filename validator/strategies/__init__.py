"""Hypothesis strategies for SSBTEK documents (public API)."""
