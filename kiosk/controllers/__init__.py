"""UI-free controllers of the diner journey; screens subscribe to their observable state."""
