"""The store: points, applications, orders, API keys and the audit log, in SQLite or PostGIS."""

from __future__ import annotations

from urllib.parse import urlparse

from data.errors import InputError
from data.store.base import (
    ApiKey,
    Application,
    AuditEntry,
    LiveRule,
    ModelCalibration,
    OrderIngest,
    OrderLine,
    Point,
    SqlStore,
    Store,
    Transaction,
)

__all__ = [
    "ApiKey",
    "Application",
    "AuditEntry",
    "LiveRule",
    "ModelCalibration",
    "OrderIngest",
    "OrderLine",
    "Point",
    "SqlStore",
    "Store",
    "Transaction",
    "open_store",
]


def open_store(url: str, policy: LiveRule, *, migrate: bool = True) -> Store:
    """Open the store at a database URL and apply pending migrations.

    Parameters
    ----------
    url : ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` or
        ``postgresql://user:password@host:port/database``
    policy : which rows are live (the protection policy)
    migrate : apply pending schema migrations now
    """
    scheme = urlparse(url).scheme.split("+")[0]
    store: Store
    if scheme == "sqlite":
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if not path:
            raise InputError(f"expected sqlite:///path/to/file.db, got {url!r}")
        from data.store.sqlite import SqliteStore

        store = SqliteStore(path, policy)
    elif scheme in ("postgresql", "postgres", "postgis"):
        from data.store.postgis import PostgisStore

        store = PostgisStore(url.replace("postgis://", "postgresql://", 1), policy)
    else:
        raise InputError(f"unsupported database URL {url!r}: use sqlite:/// or postgresql://")
    if migrate:
        store.migrate()
    return store
