"""The whole app on PostgreSQL as docs/operations.md sets it up: LEADMOVER_MIGRATION_DATABASE_URL's role migrates at
start-up, and the app, running as DATABASE_URL's role, takes a move from the form to its final reply and audits it,
yet cannot change what it audited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.local_stack import LocalStack, local_stack, seed
from handlers import ids
from simulators.slack import Message
from storage import audit
from storage.db import Database
from tests.e2e.flows import open_modal, pick, submit_move
from tests.postgres_roles import Roles, two_roles


def final_replies(stack: LocalStack) -> list[Message]:
    return [reply for m in stack.slack.messages("C0SALES") for reply in stack.slack.replies("C0SALES", m.ts)]


@pytest.fixture
def roles() -> Iterator[Roles]:
    yield from two_roles()


def test_the_app_moves_leads_as_a_role_that_may_only_add_to_the_audit_log(roles: Roles) -> None:
    with local_stack(database_url=roles.app_url, leadmover_migration_database_url=roles.owner_url) as stack:
        seed(stack.instantly)
        view = open_modal(stack)
        values = {
            ids.SOURCE: pick(stack, view, ids.SOURCE, "acme q1", "Acme Q1 outbound"),
            ids.DESTINATION: pick(stack, view, ids.DESTINATION, "warm", "Acme warm leads"),
            ids.LIMIT: "40",
        }

        response = submit_move(stack.slack, stack.app_url, view_id=view["id"], values=values)

        assert response.status == 200
        assert stack.slack.wait_for(lambda: len(final_replies(stack)) == 1, timeout=15)
        logged = [(entry.action, entry.outcome) for entry in audit.entries(stack.services.db)]
        assert logged == [("move", "started"), ("move", "ended: success, 40 leads")]
        assert stack.slack.violations == []
        assert stack.instantly.violations == []

    app = Database(roles.app_url)
    try:
        with pytest.raises(DBAPIError, match="permission denied"), app.session() as session:
            session.execute(text("UPDATE audit_log SET outcome = 'rewritten'"))
        assert [(entry.action, entry.outcome) for entry in audit.entries(app)] == logged
    finally:
        app.dispose()
