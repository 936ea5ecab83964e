"""The attack suite: hostile inputs, limits, signals, confinement, leaks."""
