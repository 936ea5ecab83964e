"""Packs: schema packs, code lists, nested models."""
