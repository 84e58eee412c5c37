"""The domain exception hierarchy for every layer; api/ maps it to HTTP and exit codes."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

__all__ = [
    "AuthenticationError",
    "Conflict",
    "ConflictError",
    "InputError",
    "Message",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "ProtectionConflict",
    "PvzError",
]


@dataclass(frozen=True)
class Conflict:
    """A live point that blocks a candidate: its id, the geodesic distance and its radius (m)."""

    point_id: Hashable
    distance_m: float
    radius_m: float
    kind: str = "point"
    """``point`` (a live point) or ``reservation`` (a pending application's held spot)"""
    reserved_until: str | None = None
    """for a reservation: until when it holds (ISO UTC)"""


class Message:
    """A message for the user that a lower layer cannot word in the user's language: an
    English :meth:`str.format` template and its values. ``str()`` is the English text; the
    edge words it in the user's language (:func:`api.wording.say_message`), the template
    being the catalogue key. Used as a logging argument: ``log.warning("%s", Message(...))``.
    """

    def __init__(self, template: str, /, **params: object) -> None:
        self.template = template
        self.params = params

    def __str__(self) -> str:
        return self.template.format(**self.params)

    def __repr__(self) -> str:
        return f"Message({self.template!r}, **{self.params!r})"


class PvzError(Exception):
    """Base of every error pvz-planner raises on purpose; the message is for the user."""


class InputError(PvzError, ValueError):
    """Bad input: a malformed file, a missing column, a value out of range.

    The message is English; with ``params`` it is a :meth:`str.format` template (the
    catalogue key the edge words in the user's language, :func:`api.wording.error_text`):
    ``InputError("not a number: {value!r}", value="abc", source=..., row=3, column="lat")``.

    Parameters
    ----------
    message : what is wrong (English), or the template of it when ``params`` are given, or
        a :class:`Message` (template and values)
    source : file name or request part, if known
    row : 1-based data row (header excluded), if known
    column : column or field name, if known
    params : the template's values
    """

    def __init__(
        self,
        message: str | Message,
        /,
        *,
        source: str | None = None,
        row: int | None = None,
        column: str | None = None,
        **params: object,
    ) -> None:
        if isinstance(message, Message):
            params = {**message.params, **params}
            message = message.template
        self.template: str = message
        self.params: dict[str, object] = params
        self.message: str = message.format(**params) if params else message
        message = self.message
        self.source = source
        self.row = row
        self.column = column
        where = []
        if source:
            where.append(str(source))
        if row is not None:
            where.append(f"row {row}")
        if column:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class NotFoundError(PvzError, KeyError):
    """An id that does not exist."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "not found"


class PayloadTooLargeError(InputError):
    """The input is larger than the configured limit (a body, a batch)."""


class AuthenticationError(PvzError):
    """The caller is not identified: no credentials, or unknown ones."""


class PermissionDeniedError(PvzError):
    """The caller may not do this."""


class ConflictError(PvzError):
    """The request conflicts with the stored state."""


class ProtectionConflict(ConflictError):
    """A location breaks the competition-protection rule.

    ``conflicts`` lists ``(point_id, distance_m, radius_m)``, nearest first.
    """

    def __init__(self, message: str, conflicts: list[tuple[object, float, float]]) -> None:
        super().__init__(message)
        self.conflicts = conflicts

    @classmethod
    def of(cls, lat: float, lon: float, conflicts: list[Conflict]) -> ProtectionConflict:
        """The error for a candidate at ``(lat, lon)`` blocked by ``conflicts`` (nearest first)."""
        c = conflicts[0]
        more = f" and {len(conflicts) - 1} more" if len(conflicts) > 1 else ""
        message = (f"({lat:.6f}, {lon:.6f}) is {c.distance_m:.1f} m from {c.point_id} "
                   f"(protected radius {max(c.radius_m, 0):.0f} m){more}")  # fmt: skip
        return cls(message, [(x.point_id, x.distance_m, x.radius_m) for x in conflicts])
