"""``pvz`` sub-commands, one module per concern; each exposes functions registered in api.cli."""
