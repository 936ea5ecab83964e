"""Results made safe: masking."""
