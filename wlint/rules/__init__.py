"""WL1xx rules (filled by the rules modules)."""
