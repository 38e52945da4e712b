"""Helpers shared by test modules of more than one part (test modules never import each other)."""
