"""Typed payload models, one module per message family."""
