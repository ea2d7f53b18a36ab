"""The plans: each in its own folder with its rules, tables and texts (style §12)."""
