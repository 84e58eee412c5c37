"""Load the protection policy and the settlement lookup from optional files, for CLI and service."""

from __future__ import annotations

from pathlib import Path

from data.boundaries import settlements_from_polygon_file
from data.errors import InputError
from data.places import load_places
from geo.settlements import SettlementLookup
from planning.protection import ProtectionPolicy

__all__ = ["load_policy", "load_settlements"]


def load_policy(path: str | Path | None) -> ProtectionPolicy:
    """The protection policy from a TOML file, or the default one when ``path`` is None.

    Raises :class:`InputError` naming the file when it is missing or invalid.
    """
    if path is None:
        return ProtectionPolicy()
    try:
        return ProtectionPolicy.from_toml(path)
    except FileNotFoundError:
        raise InputError("file not found", source=str(path)) from None
    except Exception as exc:  # tomllib.TOMLDecodeError, pydantic.ValidationError
        raise InputError(f"not a valid protection policy: {exc}", source=str(path)) from None


def load_settlements(path: str | Path | None) -> SettlementLookup:
    """The bundled GeoNames settlements, plus boundary polygons from ``path`` if given.

    The polygons are read and validated completely here, at load (CLI) or start
    (server), by :func:`data.boundaries.load_boundaries`: a bad file raises
    :class:`InputError` naming the file, the feature and the column.
    """
    if path is None:
        return SettlementLookup(load_places())
    return settlements_from_polygon_file(load_places(), path)
