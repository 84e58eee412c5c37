"""The application layer: the use cases routes and CLI commands call, one module per concern.

``network`` runs the protection-rule writes (open a transaction, read the neighbours,
``planning.protection.decide``, write or raise); :mod:`api.service` is the facade the
routes hold, keeping the in-memory pre-check index in step.
"""
