"""Versioned schema migrations per backend: ordered SQL scripts and a ``schema_version`` table.

A store applies, in one transaction each, every script whose number exceeds
the version recorded in ``schema_version``. Scripts are append-only: to change
the schema add a script, never edit a released one.
"""

from __future__ import annotations

__all__ = ["POSTGIS_MIGRATIONS", "SQLITE_MIGRATIONS"]

# version 2: issued orders (reward statements) and a point's pandemic closure count.
# Money is integer kopecks; dates are ISO text (YYYY-MM-DD sorts as time does).
_ORDERS = """
ALTER TABLE points ADD COLUMN closed_days_2020 INTEGER;
CREATE TABLE orders (
    order_id   TEXT PRIMARY KEY,
    point_id   TEXT NOT NULL REFERENCES points (id),
    issued_on  TEXT NOT NULL,
    price_kop  BIGINT NOT NULL CHECK (price_kop >= 0),
    status     TEXT NOT NULL CHECK (status IN ('issued', 'returned', 'cancelled')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX orders_point_day ON orders (point_id, issued_on, order_id);
"""

# version 3: closed periods. The day an item was returned or cancelled (ISO text, NULL when
# unknown): an event in a later month than the issue adjusts that later month's statement.
_ORDER_EVENTS = """
ALTER TABLE orders ADD COLUMN returned_on TEXT;
ALTER TABLE orders ADD COLUMN cancelled_on TEXT;
CREATE INDEX orders_point_returned ON orders (point_id, returned_on);
CREATE INDEX orders_point_cancelled ON orders (point_id, cancelled_on);
"""

# version 4: calibrations of the scoring model (issue 19). JSON as text: the parameters, the
# fit (cross-validated error, interval quantiles and coverage) and the data basis.
_CALIBRATIONS = """
CREATE TABLE model_calibrations (
    id          TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    first_month TEXT NOT NULL,
    last_month  TEXT NOT NULL,
    n_points    INTEGER NOT NULL,
    params      TEXT NOT NULL,
    fit         TEXT NOT NULL,
    basis       TEXT NOT NULL
);
CREATE INDEX model_calibrations_created ON model_calibrations (created_at, id);
CREATE INDEX orders_issued ON orders (issued_on);
"""

# version 5: partner onboarding. An application keeps the forecast computed at submission
# (JSON: score, expected turnover and reward, and whatever a forecast adds later); a point
# keeps its complaint rate and, when given as days, its pandemic closure days (ISO days
# joined by ';'). Applications blocked at submission read 'refused' (they never held a spot).
_ONBOARDING = """
ALTER TABLE applications ADD COLUMN forecast TEXT;
ALTER TABLE points ADD COLUMN complaint_rate_pct DOUBLE PRECISION;
ALTER TABLE points ADD COLUMN closed_dates_2020 TEXT;
UPDATE applications SET status = 'refused' WHERE status = 'pending' AND NOT allowed;
CREATE INDEX applications_partner_status ON applications (partner_id, status, reserved_until);
"""

# version 6: keys with a lifecycle. When a key was revoked (a revoked key is refused) and
# when it was last used (to the minute), ISO text, NULL for never.
_KEY_LIFECYCLE = """
ALTER TABLE api_keys ADD COLUMN revoked_at TEXT;
ALTER TABLE api_keys ADD COLUMN last_used_at TEXT;
"""

_TABLES = """
CREATE TABLE points (
    id            TEXT PRIMARY KEY,
    lat           DOUBLE PRECISION NOT NULL,
    lon           DOUBLE PRECISION NOT NULL,
    radius_m      DOUBLE PRECISION NOT NULL,
    kind          TEXT NOT NULL,
    status        TEXT NOT NULL,
    partner_id    TEXT,
    settlement    TEXT,
    address       TEXT,
    opened_on     TEXT,
    area_m2       DOUBLE PRECISION,
    waiting_zone  BOOLEAN,
    fitting_rooms INTEGER,
    rating        DOUBLE PRECISION,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL{point_geog}
);
CREATE INDEX points_lat_lon ON points (lat, lon);
CREATE INDEX points_radius ON points (radius_m);
CREATE INDEX points_partner ON points (partner_id, id);
CREATE TABLE applications (
    id               TEXT PRIMARY KEY,
    partner_id       TEXT NOT NULL,
    lat              DOUBLE PRECISION NOT NULL,
    lon              DOUBLE PRECISION NOT NULL,
    radius_m         DOUBLE PRECISION NOT NULL,
    kind             TEXT NOT NULL,
    settlement       TEXT,
    address          TEXT,
    area_m2          DOUBLE PRECISION,
    waiting_zone     BOOLEAN,
    fitting_rooms    INTEGER,
    planned_opening  TEXT,
    status           TEXT NOT NULL,
    allowed          BOOLEAN NOT NULL,
    conflicts        TEXT NOT NULL,
    reserved_until   TEXT,
    point_id         TEXT,
    created_at       TEXT NOT NULL,
    decided_at       TEXT,
    decided_by       TEXT,
    decision_reason  TEXT{app_geog}
);
CREATE INDEX applications_lat_lon ON applications (lat, lon);
CREATE INDEX applications_radius ON applications (radius_m);
CREATE INDEX applications_partner ON applications (partner_id, id);
CREATE INDEX applications_status ON applications (status, reserved_until);
CREATE TABLE api_keys (
    key_hash    TEXT PRIMARY KEY,
    key_id      TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    partner_id  TEXT,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
);
"""

#: the append-only audit log; ``id`` is the backend's auto-increment key
_AUDIT_LOG = """CREATE TABLE audit_log (
    id         {id},
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    reason     TEXT,
    detail     TEXT NOT NULL
);
"""

_GEOG = """,
    geog geography(Point, 4326) GENERATED ALWAYS AS
        (ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography) STORED"""

SQLITE_MIGRATIONS: list[str] = [
    _TABLES.format(point_geog="", app_geog="")
    + "\n"
    + _AUDIT_LOG.format(id="INTEGER PRIMARY KEY AUTOINCREMENT")
    + """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
""",
    _ORDERS,
    _ORDER_EVENTS,
    _CALIBRATIONS,
    _ONBOARDING,
    _KEY_LIFECYCLE,
]

POSTGIS_MIGRATIONS: list[str] = [
    "CREATE EXTENSION IF NOT EXISTS postgis;\n"
    + _TABLES.format(point_geog=_GEOG, app_geog=_GEOG)
    + """
CREATE INDEX points_geog ON points USING GIST (geog);
CREATE INDEX applications_geog ON applications USING GIST (geog);
"""
    + _AUDIT_LOG.format(id="BIGSERIAL PRIMARY KEY")
    + """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
""",
    _ORDERS,
    _ORDER_EVENTS,
    _CALIBRATIONS,
    _ONBOARDING,
    _KEY_LIFECYCLE,
]
