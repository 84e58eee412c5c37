"""The edge: the ``pvz`` command line and (later) the HTTP API."""
