"""Versioned data loaded once per process: schema packs and detection, code lists, nested models."""
