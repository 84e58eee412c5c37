"""The application layer: the use cases routes and CLI commands call, one module per concern.

``changes`` reads the audit log once for every cache (the change feed); ``network`` runs the
protection-rule writes (open a transaction, read the neighbours, ``planning.protection.decide``,
write or raise); ``onboarding`` the application lifecycle; ``planning`` and ``density`` the
cached models of the network (scoring, white space, site selection; the map's cell counts);
``forecast`` calibration; ``jobs`` heavy work in worker processes; ``answers`` what a partner is
told; ``territory`` where partners may apply. :mod:`api.service` is the facade the routes and
commands hold, keeping the in-memory pre-check index in step.
"""
