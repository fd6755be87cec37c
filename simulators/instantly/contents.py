"""An Instantly workspace's contents: campaigns, lead lists, members and leads, and the endpoints that read them."""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from simulators.instantly.protocol import DEFAULT_LIMIT, ApiError, Call, Clock, after, page

_UNSOURCED_LEADS = 10
# The spec requires at least one sending window per campaign.
_WORKDAY_SCHEDULE = {
    "name": "Workdays",
    "timing": {"from": "09:00", "to": "17:00"},
    "days": {"1": True, "2": True, "3": True, "4": True, "5": True},
    "timezone": "Europe/Belgrade",
}


Lead = tuple[str, str]  # (id, email)
_FIRST: Final = (
    "dana", "ben", "chloe", "omar", "priya", "lucas", "mei", "sam", "ana", "tomas", "nora", "ravi", "ella", "jonas",
    "fatima", "leo", "grace", "hugo", "iris", "kofi",
)  # fmt: skip
_LAST: Final = (
    "reyes", "ortiz", "nguyen", "haddad", "patel", "meyer", "chen", "okafor", "silva", "novak", "berg", "rao",
    "walsh", "kim", "costa", "fischer", "lopez", "ahmed", "moreau", "tanaka",
)  # fmt: skip


def readable_emails(count: int, domain: str) -> list[str]:
    """`count` distinct e-mails of people at `domain` (dana.reyes@acme-corp.example first), the same every run."""
    pairs = len(_FIRST) * len(_LAST)
    emails = []
    for n in range(count):
        round_, at = divmod(n, pairs)
        first, last = _FIRST[at % len(_FIRST)], _LAST[(at // len(_FIRST) + at) % len(_LAST)]
        emails.append(f"{first}.{last}{round_ + 1 if round_ else ''}@{domain}")
    return emails


@dataclass
class Container:
    """A campaign or lead list: something leads can be moved out of or into, holding real leads, so a move takes
    the very leads it selected and a move back finds them where they were put."""

    kind: str  # "campaign" or "list", as BackgroundJob.entity_type spells it
    public: dict[str, Any]
    roster: list[Lead]

    @classmethod
    def seeded(cls, kind: str, public: dict[str, Any], leads: int, *, domain: str | None = None) -> Container:
        """A container born with `leads` leads; their ids derive from its id, and so do their e-mails unless a
        `domain` gives them people's names there (readable_emails), the same every run."""
        namespace = uuid.UUID(public["id"])
        emails = (
            readable_emails(leads, domain)
            if domain
            else [f"lead{n + 1}@{public['id'][:8]}.example.com" for n in range(leads)]
        )
        roster = [(str(uuid.uuid5(namespace, str(n))), email) for n, email in enumerate(emails)]
        return cls(kind, public, roster)

    @property
    def leads(self) -> int:
        return len(self.roster)

    def receive(self, leads: list[Lead]) -> None:
        """Take leads in; one already here (by e-mail) is not doubled."""
        present = {email for _, email in self.roster}
        self.roster.extend(lead for lead in leads if lead[1] not in present)

    def release(self, leads: list[Lead]) -> None:
        leaving = {lead_id for lead_id, _ in leads}
        self.roster = [lead for lead in self.roster if lead[0] not in leaving]


class Contents:
    """What a workspace holds. Endpoints run with `lock` held (the server takes it); seeding takes it itself."""

    def __init__(
        self,
        *,
        workspace_id: str | None,
        name: str,
        lock: threading.RLock,
        clock: Clock,
        known_filters: frozenset[str],
        report: Callable[[str], None],
    ) -> None:
        self.workspace_id = workspace_id or str(uuid.uuid4())
        self.name = name
        self.owner_user_id = str(uuid.uuid4())
        self._lock = lock
        self._clock = clock
        self._known_filters = known_filters
        self._report = report
        self._created = clock.stamp()
        self.campaigns: dict[str, Container] = {}
        self.lists: dict[str, Container] = {}
        self._members: list[dict[str, Any]] = []

    # -- seeding ---------------------------------------------------------------------------------------------

    def add_campaign(self, name: str, *, status: int = 1, leads: int = 100, domain: str | None = None) -> str:
        campaign_id = str(uuid.uuid4())
        stamp = self._clock.stamp()
        public = {
            "id": campaign_id,
            "name": name,
            "status": status,
            "campaign_schedule": {"schedules": [copy.deepcopy(_WORKDAY_SCHEDULE)]},
            "sequences": [],
            "email_list": [],
            "daily_limit": 50,
            "stop_on_reply": True,
            "organization": self.workspace_id,
            "timestamp_created": stamp,
            "timestamp_updated": stamp,
        }
        with self._lock:
            self.campaigns[campaign_id] = Container.seeded("campaign", public, leads, domain=domain)
        return campaign_id

    def add_list(self, name: str, *, leads: int = 100, domain: str | None = None) -> str:
        list_id = str(uuid.uuid4())
        public = {
            "id": list_id,
            "organization_id": self.workspace_id,
            "name": name,
            "has_enrichment_task": False,
            "owned_by": self.owner_user_id,
            "timestamp_created": self._clock.stamp(),
        }
        with self._lock:
            self.lists[list_id] = Container.seeded("list", public, leads, domain=domain)
        return list_id

    def add_member(self, email: str, *, first: str = "", last: str = "", role: str = "editor") -> str:
        user_id = str(uuid.uuid4())
        member = {
            "id": str(uuid.uuid4()),
            "email": email,
            "user_id": user_id,
            "name": {"first": first, "last": last},
            "role": role,
            "timestamp_created": self._clock.stamp(),
            "workspace_id": self.workspace_id,
            "accepted": True,
        }
        with self._lock:
            self._members.append(member)
        return user_id

    # -- endpoints ------------------------------------------------------------------------------------------

    @staticmethod
    def _container(store: dict[str, Container], call: Call) -> Container:
        found = store.get(call.params["id"])
        if found is None:
            raise ApiError(404, "Resource not found")
        return found

    @staticmethod
    def _search(
        items: list[dict[str, Any]], needle: str | None, *fields: Callable[[dict[str, Any]], str]
    ) -> list[dict[str, Any]]:
        if not needle:
            return items
        lowered = needle.lower()
        return [item for item in items if any(lowered in get(item).lower() for get in fields)]

    def campaign(self, call: Call) -> dict[str, Any]:
        return self._container(self.campaigns, call).public

    def lead_list(self, call: Call) -> dict[str, Any]:
        return self._container(self.lists, call).public

    def list_campaigns(self, call: Call) -> dict[str, Any]:
        items = [campaign.public for campaign in self.campaigns.values()]
        items = self._search(items, call.query.get("search"), lambda item: item["name"])
        if "status" in call.query:
            items = [item for item in items if item["status"] == call.query["status"]]
        if "exclude_status" in call.query:
            items = [item for item in items if item["status"] != call.query["exclude_status"]]
        items = after(items, call.query.get("starting_after"), "id")
        return page(items, call.query.get("limit", DEFAULT_LIMIT), "id")

    def campaign_analytics(self, call: Call) -> list[dict[str, Any]]:
        wanted = set(call.query.get("ids", [])) | ({call.query["id"]} if "id" in call.query else set())
        zero_counts = (
            "contacted_count",
            "open_count",
            "reply_count",
            "link_click_count",
            "bounced_count",
            "unsubscribed_count",
            "completed_count",
            "emails_sent_count",
            "new_leads_contacted_count",
            "total_opportunities",
            "total_opportunity_value",
        )
        return [
            {
                "campaign_name": campaign.public["name"],
                "campaign_id": campaign_id,
                "campaign_status": campaign.public["status"],
                "campaign_is_evergreen": False,
                "leads_count": campaign.leads,
                **dict.fromkeys(zero_counts, 0),
            }
            for campaign_id, campaign in self.campaigns.items()
            if not wanted or campaign_id in wanted
        ]

    def list_lead_lists(self, call: Call) -> dict[str, Any]:
        items = [lead_list.public for lead_list in self.lists.values()]
        items = self._search(items, call.query.get("search"), lambda item: item["name"])
        cursor = call.query.get("starting_after")
        if cursor is not None:
            try:
                cutoff = datetime.fromisoformat(cursor)
            except ValueError as exc:
                # Lead lists page by timestamp; handing back an id here is a client bug worth flagging.
                raise ApiError(400, "querystring/starting_after must be a timestamp", violation=True) from exc
            items = [item for item in items if datetime.fromisoformat(item["timestamp_created"]) > cutoff]
        return page(items, call.query.get("limit", DEFAULT_LIMIT), "timestamp_created")

    def verification_stats(self, call: Call) -> dict[str, Any]:
        leads = self._container(self.lists, call).leads
        stats = dict.fromkeys(("invalid", "risky", "catch_all", "job_change"), 0)
        return {"stats": {"verified": leads, **stats}, "total_leads": leads}

    def list_members(self, call: Call) -> dict[str, Any]:
        items = self._search(
            list(self._members),
            call.query.get("search"),
            lambda item: item["email"],
            lambda item: f"{item['name']['first']} {item['name']['last']}",
        )
        if "accepted" in call.query:
            items = [item for item in items if item["accepted"] == call.query["accepted"]]
        items = after(items, call.query.get("starting_after"), "id")
        return page(items, call.query.get("limit", DEFAULT_LIMIT), "id")

    def workspace(self, call: Call) -> dict[str, Any]:
        return {
            "id": self.workspace_id,
            "name": self.name,
            "owner": self.owner_user_id,
            "timestamp_created": self._created,
            "timestamp_updated": self._created,
        }

    def source(self, body: dict[str, Any]) -> Container | None:
        if "campaign" in body:
            found = self.campaigns.get(body["campaign"])
        elif "list_id" in body:
            found = self.lists.get(body["list_id"])
        else:
            return None
        if found is None:
            raise ApiError(404, "Source campaign or list not found")
        return found

    def leads(self, source: Container | None, body: dict[str, Any]) -> list[tuple[str, str]]:
        """(id, email) of the leads a filter body selects; ids are stable so tests can target them."""
        if source is None:
            namespace = uuid.NAMESPACE_URL
            leads = [
                (str(uuid.uuid5(namespace, str(n))), f"lead{n + 1}@workspace.example.com")
                for n in range(_UNSOURCED_LEADS)
            ]
        else:
            leads = list(source.roster)
        if "filter" in body and body["filter"] not in self._known_filters:
            # Instantly silently matches nothing for an unknown filter; the caller should never send one.
            self._report(f"unknown lead filter {body['filter']!r} matches no leads")
            return []
        for key, position, keep in (("ids", 0, True), ("excluded_ids", 0, False), ("contacts", 1, True)):
            if key in body:
                chosen = set(body[key])
                leads = [lead for lead in leads if (lead[position] in chosen) == keep]
        if body.get("search"):
            leads = [lead for lead in leads if body["search"].lower() in lead[1]]
        return leads

    def list_leads(self, call: Call) -> dict[str, Any]:
        body = call.body or {}
        source = self.source(body)
        stamp = self._created
        items: list[dict[str, Any]] = [
            {
                "id": lead_id,
                "email": email,
                "timestamp_created": stamp,
                "timestamp_updated": stamp,
                "organization": self.workspace_id,
                "status": 1,
                "email_open_count": 0,
                "email_reply_count": 0,
                "email_click_count": 0,
                "company_domain": email.split("@")[1],
                "status_summary": {},
                "campaign": source.public["id"] if source and source.kind == "campaign" else None,
                "list_id": source.public["id"] if source and source.kind == "list" else None,
            }
            for lead_id, email in self.leads(source, body)
        ]
        items = after(items, body.get("starting_after"), "id")
        return page(items, body.get("limit", DEFAULT_LIMIT), "id")

    def known_user_ids(self) -> set[str]:
        """Who leads can be assigned to: the owner and every member."""
        return {self.owner_user_id} | {member["user_id"] for member in self._members}
