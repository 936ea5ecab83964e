"""Rules: each check and the registry."""
