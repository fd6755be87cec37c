"""The tour draws every time as a reader in a named zone sees it, and says which."""

from __future__ import annotations

import re

from docs.tour.scenes import build
from simulators.slack.html_pages import TOUR_ZONE


def test_every_scene_shows_times_in_the_named_zone_and_says_so() -> None:
    for scene in build():
        assert f"Times as a reader in {TOUR_ZONE} sees them." in scene.html, scene.name
        assert not re.search(r"\d{2}:\d{2} UTC", scene.html), f"{scene.name} shows a time in UTC"
        assert "U0DANA" not in scene.html, f"{scene.name} shows a person's id, not their name"
