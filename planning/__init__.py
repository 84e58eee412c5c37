"""Pure planning logic: protection rule, scoring, selection, rewards. No I/O, no web."""
