"""inkorg-kit."""
