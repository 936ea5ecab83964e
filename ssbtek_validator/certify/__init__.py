"""Certification: a verdict on a set of captures and on what they exercised, with evidence."""
