"""PostgreSQL roles for migrating apart from running: whom each URL speaks as and where, the checks that the app's
role could not rewrite its audit log, and the grants that give it only what it needs (storage.migrate uses them).
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection, inspect, text

from storage.db import Database
from storage.schema import metadata

VERSION_TABLE = "alembic_version"  # Alembic's default name, which leadmover keeps

# What the app's role may do to each table when migrations run as a separate owner role; every other leadmover
# table gets SELECT, INSERT, UPDATE and DELETE. No table gets TRUNCATE, REFERENCES or TRIGGER.
_APP_PRIVILEGES = {"audit_log": "SELECT, INSERT", VERSION_TABLE: "SELECT"}
# What the app's role must never hold on audit_log, however it came by it (a grant to PUBLIC, a role it is in).
_REWRITING_PRIVILEGES = ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES")
# The function behind revision 0008's PostgreSQL triggers: whoever owns it could make them do nothing.
_AUDIT_FUNCTION = "leadmover_audit_append_only"


class RoleSetupError(RuntimeError):
    """LEADMOVER_MIGRATION_DATABASE_URL is set, but the roles as they stand would let the app rewrite its audit log,
    or the two URLs do not reach the same schema."""


class Place(NamedTuple):
    """Whom a connection speaks as, and where its tables go (None: no schema it may use is on its search path)."""

    role: str
    database: str
    schema: str | None


class Grant(NamedTuple):
    role: str
    schema: str


def place(db: Database) -> Place:
    # The app's role as PostgreSQL sees it, not as DATABASE_URL spells it: peer authentication, PGUSER or a
    # `role` option in the URL all make the role the app really runs as.
    with db.engine.connect() as connection:
        return place_of(connection)


def place_of(connection: Connection) -> Place:
    found = connection.execute(text("SELECT current_user, current_database(), current_schema()")).one()
    return Place(role=found[0], database=found[1], schema=found[2])


# Owning a table lets a role alter, disable the triggers of or drop it; owning the schema lets it drop the schema
# with everything in it; owning the triggers' function lets it make them do nothing.
_OWNED_BY = text(
    "SELECT 'table ' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname = ANY(:tables) "
    "AND pg_has_role(:role, c.relowner, 'MEMBER') "
    "UNION ALL SELECT 'schema ' || nspname FROM pg_namespace "
    "WHERE nspname = current_schema() AND pg_has_role(:role, nspowner, 'MEMBER') "
    "UNION ALL SELECT 'function ' || p.proname || '()' FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
    "WHERE n.nspname = current_schema() AND p.proname = :function AND pg_has_role(:role, p.proowner, 'MEMBER')"
)
# The sequences behind the tables' serial ids: INSERT needs USAGE on them to take the next id.
_SEQUENCES_OF = text(
    "SELECT s.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass "
    "AND d.deptype IN ('a', 'i') JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace n ON n.oid = t.relnamespace "
    "WHERE s.relkind = 'S' AND n.nspname = current_schema() AND t.relname = ANY(:tables) ORDER BY s.relname"
)
# Which of the privileges asked about a role holds on audit_log, however it came by them.
_AUDIT_PRIVILEGES = text(
    "SELECT privilege FROM unnest(CAST(:privileges AS text[])) AS privilege "
    "WHERE has_table_privilege(:role, format('%I.audit_log', current_schema()), privilege)"
)


def granting(connection: Connection, app: Place) -> Grant | None:
    """The app's role and the owner's schema, where that role is to be granted its privileges after migrating; None
    when the owner and the app are one role. Raises RoleSetupError, before anything is migrated, when the two URLs
    reach different places, or when no privilege could hold the app's role back: it is a superuser, or it owns
    what the audit log's protection rests on."""
    owner = place_of(connection)
    if owner.schema is None:
        raise RoleSetupError(f"no schema on LEADMOVER_MIGRATION_DATABASE_URL's search path exists in {owner.database}")
    # The app's role sees no schema it may not use yet: a first migration finds it None, and upgrade checks later.
    if owner.database != app.database or app.schema not in (None, owner.schema):
        raise RoleSetupError(
            f"LEADMOVER_MIGRATION_DATABASE_URL reaches schema {owner.schema} of database {owner.database}, but "
            f"DATABASE_URL reaches schema {app.schema} of database {app.database}: they must name the same one"
        )
    if owner.role == app.role:
        return None
    superuser = connection.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = :role"), {"role": app.role})
    if superuser.scalar():
        raise RoleSetupError(
            f"DATABASE_URL's role {app.role} is a superuser, which no privilege holds back: give the app a role of "
            "its own (docs/operations.md, Database roles)"
        )
    owned = {"role": app.role, "tables": sorted(ours()), "function": _AUDIT_FUNCTION}
    if held := connection.execute(_OWNED_BY, owned).scalars().all():
        quote = connection.dialect.identifier_preparer.quote
        raise RoleSetupError(
            f"DATABASE_URL's role {app.role} owns, or is in a role that owns, {', '.join(held)}: it could alter or "
            f"drop the audit log. Hand them to the migration role once, as a superuser: REASSIGN OWNED BY "
            f"{quote(app.role)} TO {quote(owner.role)} (docs/operations.md, Database roles)"
        )
    return Grant(role=app.role, schema=owner.schema)


def ours() -> set[str]:
    return set(metadata.tables) | {VERSION_TABLE}


def grant_app_role(connection: Connection, *, role: str, schema: str) -> None:
    """Give the app's role what it needs and nothing more, afresh at every upgrade: a revision runs once, but the
    tables later revisions add, and a new app role, need their privileges too. Raises RoleSetupError when the app's
    role still holds a privilege that rewrites the log."""
    quote = connection.dialect.identifier_preparer.quote
    grantee = quote(role)
    present = sorted(set(inspect(connection).get_table_names()) & ours())
    where = quote(schema)
    statements = [f"GRANT USAGE ON SCHEMA {where} TO {grantee}"]
    for table in present:
        privileges = _APP_PRIVILEGES.get(table, "SELECT, INSERT, UPDATE, DELETE")
        statements.append(f"REVOKE ALL ON TABLE {where}.{quote(table)} FROM {grantee}")
        statements.append(f"GRANT {privileges} ON TABLE {where}.{quote(table)} TO {grantee}")
    sequences = connection.execute(_SEQUENCES_OF, {"tables": present}).scalars().all()
    statements += [f"GRANT USAGE, SELECT ON SEQUENCE {where}.{quote(name)} TO {grantee}" for name in sequences]
    for statement in statements:
        connection.exec_driver_sql(statement)
    kept = connection.execute(_AUDIT_PRIVILEGES, {"role": role, "privileges": list(_REWRITING_PRIVILEGES)})
    if rewriting := kept.scalars().all():
        raise RoleSetupError(
            f"DATABASE_URL's role {role} still holds {', '.join(rewriting)} on audit_log, through PUBLIC or a role "
            "it is in: revoke it there"
        )
