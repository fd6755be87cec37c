"""Each workspace's access rules (storage.access_rules): one rule per person or group, a second one replaces the
first, allows are listed before denies, and one workspace's rules are never another's."""

from __future__ import annotations

from storage import access_rules
from storage.access_rules import Effect
from storage.db import Database


def _summary(db: Database, team_id: str = "T1") -> list[tuple[str, Effect, str]]:
    return [(rule.subject_id, rule.effect, rule.set_by) for rule in access_rules.rules(db, team_id=team_id)]


def test_a_workspace_without_rules_has_none(db: Database) -> None:
    assert access_rules.rules(db, team_id="T1") == []


def test_a_rule_is_kept_with_who_set_it_and_when(db: Database) -> None:
    access_rules.set_rule(db, team_id="T1", subject_id="U1", effect=Effect.ALLOW, set_by="UADMIN")

    [rule] = access_rules.rules(db, team_id="T1")
    assert (rule.subject_id, rule.effect, rule.set_by) == ("U1", Effect.ALLOW, "UADMIN")
    assert rule.set_at is not None


def test_denying_someone_allowed_replaces_the_allow(db: Database) -> None:
    access_rules.set_rule(db, team_id="T1", subject_id="U1", effect=Effect.ALLOW, set_by="UADMIN")
    [allowed] = access_rules.rules(db, team_id="T1")

    access_rules.set_rule(db, team_id="T1", subject_id="U1", effect=Effect.DENY, set_by="UOTHER")

    [denied] = access_rules.rules(db, team_id="T1")
    assert (denied.subject_id, denied.effect, denied.set_by) == ("U1", Effect.DENY, "UOTHER")
    assert denied.set_at >= allowed.set_at


def test_allowing_someone_denied_replaces_the_deny(db: Database) -> None:
    access_rules.set_rule(db, team_id="T1", subject_id="S1", effect=Effect.DENY, set_by="UADMIN")
    access_rules.set_rule(db, team_id="T1", subject_id="S1", effect=Effect.ALLOW, set_by="UADMIN")

    assert _summary(db) == [("S1", Effect.ALLOW, "UADMIN")]


def test_setting_the_same_rule_twice_keeps_one(db: Database) -> None:
    for _ in range(2):
        access_rules.set_rule(db, team_id="T1", subject_id="U1", effect=Effect.ALLOW, set_by="UADMIN")

    assert _summary(db) == [("U1", Effect.ALLOW, "UADMIN")]


def test_allows_come_first_then_denies_each_in_the_order_they_were_set(db: Database) -> None:
    for subject, effect in [
        ("U9", Effect.DENY),
        ("U1", Effect.ALLOW),
        ("S7", Effect.DENY),
        ("S2", Effect.ALLOW),
        ("U3", Effect.ALLOW),
    ]:
        access_rules.set_rule(db, team_id="T1", subject_id=subject, effect=effect, set_by="UADMIN")

    assert [(rule.subject_id, rule.effect) for rule in access_rules.rules(db, team_id="T1")] == [
        ("U1", Effect.ALLOW),
        ("S2", Effect.ALLOW),
        ("U3", Effect.ALLOW),
        ("U9", Effect.DENY),
        ("S7", Effect.DENY),
    ]


def test_each_workspace_has_its_own_rules_for_the_same_person(db: Database) -> None:
    access_rules.set_rule(db, team_id="T1", subject_id="U1", effect=Effect.ALLOW, set_by="UA")
    access_rules.set_rule(db, team_id="T2", subject_id="U1", effect=Effect.DENY, set_by="UB")
    access_rules.set_rule(db, team_id="T2", subject_id="U2", effect=Effect.ALLOW, set_by="UB")

    assert _summary(db, "T1") == [("U1", Effect.ALLOW, "UA")]
    assert _summary(db, "T2") == [("U2", Effect.ALLOW, "UB"), ("U1", Effect.DENY, "UB")]
    assert access_rules.rules(db, team_id="T3") == []
