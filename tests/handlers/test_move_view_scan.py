"""A form a person can scan: lead statuses in groups, provider and gateway lists that never offer the same words
twice and say what Instantly's documented codes mean, and no hint where a value is already filled in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.instantly.schemas import LEAD_FILTERS
from bot.pickers import Choice
from handlers import ids, move_view, preview_view
from handlers.prefill import Fill

_SPEC_FILE = Path(__file__).resolve().parents[2] / "simulators" / "instantly" / "instantly-openapi.json"
# Instantly's own words (x-enumDescriptions of POST /leads/move) and what the form says for them.
PROVIDER_WORDS = {
    "In Queue": "Provider not detected yet",
    "Google": "Google",
    "Microsoft": "Microsoft",
    "Zoho": "Zoho",
    "AirMail": "AirMail",
    "Yahoo": "Yahoo",
    "Yandex": "Yandex",
    "Webde": "Web.de",
    "Liberoit": "Libero.it",
    "Other": "Another provider",
    "Not Found": "No provider found",
}
GATEWAY_WORDS = {
    "In Queue": "Gateway not detected yet",
    "Barracuda": "Barracuda",
    "Mimecast": "Mimecast",
    "Proofpoint": "Proofpoint",
    "Cisco": "Cisco",
    "None": "No gateway",
}


def _inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def _offered(block_id: str) -> dict[str, str]:
    element = _inputs(move_view.build(channel_id="C1", more=True))[block_id]["element"]
    return {o["value"]: o["text"]["text"] for o in element["options"]}


def _move_property(name: str) -> dict[str, Any]:
    spec = json.loads(_SPEC_FILE.read_text(encoding="utf-8"))
    body = spec["paths"]["/api/v2/leads/move"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    found: dict[str, Any] = body["properties"][name]
    return found


def test_lead_status_comes_in_four_groups_holding_every_filter_once() -> None:
    element = _inputs(move_view.build(channel_id="C1"))[ids.FILTER]["element"]
    groups = {g["label"]["text"]: [o["value"] for o in g["options"]] for g in element["option_groups"]}
    assert list(groups) == ["Interest", "Engagement", "Verification", "Other"]
    every = [value for values in groups.values() for value in values]
    assert sorted(every) == sorted(LEAD_FILTERS)
    assert "options" not in element


def test_provider_and_gateway_say_instantlys_documented_codes_in_words_of_their_own() -> None:
    providers, gateways = _offered(ids.ESP_CODE), _offered(ids.ESG_CODE)
    esp, esg = _move_property("esp_code"), _move_property("esg_code")
    assert {int(code) for code in providers} == set(esp["enum"])
    assert providers == {str(c): PROVIDER_WORDS[esp["x-enumDescriptions"][str(c)]] for c in esp["enum"]}
    assert "all" not in gateways, "leaving it unset is already any gateway"
    assert set(gateways) == set(esg["enum"]) - {"all"}
    assert gateways == {c: GATEWAY_WORDS[esg["x-enumDescriptions"][c]] for c in gateways}
    shown = [*providers.values(), *gateways.values()]
    assert len(shown) == len(set(shown)), "no two options read the same"


def test_a_filled_in_field_has_no_hint_and_a_picked_source_says_its_count_is_coming() -> None:
    entered = {ids.SEARCH: {ids.SEARCH: {"type": "plain_text_input", "value": "acme"}}}
    view = move_view.build(channel_id="C1", entered=entered)
    assert "hint" not in _inputs(view)[ids.SEARCH]
    assert "hint" in _inputs(move_view.build(channel_id="C1"))[ids.SEARCH]
    picked = Fill(picked={ids.SOURCE: Choice("campaign:c1", "Acme")})
    blocks = move_view.build(channel_id="C1", fill=picked)["blocks"]
    preview = next(b for b in blocks if b.get("block_id") == ids.PREVIEW)
    assert preview["text"]["text"] == preview_view.COUNTING
    assert "Pick where the leads come from" not in str(preview)
