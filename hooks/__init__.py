"""pre-commit entry points: thin layers over the lint engine and the formatter."""
