"""The screenshot tour stays true to the app: its committed pages are what the real builders make now (no browser
needed), each is shown in the README, and nothing in them is left undrawn."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

from bot.schedules import recurrence_of
from bot.workflow_steps import MOVE_STEP
from docs.tour import make_tour, scenes
from docs.tour.scenes import Scene, build
from simulators.slack.function_specs import DEFAULT_MANIFEST, load_functions

ROOT = Path(__file__).resolve().parents[2]
TOUR = ROOT / "docs" / "tour"
FIX = "run `python -m docs.tour.make_tour` (or `--html-only` without Chromium) and commit docs/tour"
SCENES = build()


def _diff(committed: str, now: str, name: str) -> str:
    lines = difflib.unified_diff(committed.splitlines(), now.splitlines(), f"committed {name}", "now", lineterm="")
    return "\n".join(list(lines)[:40])


@pytest.mark.parametrize("scene", SCENES, ids=lambda scene: scene.name)
def test_committed_page_is_what_the_builders_make_now(scene: Scene) -> None:
    path = TOUR / f"{scene.name}.html"
    assert path.exists(), f"docs/tour/{scene.name}.html is missing: {FIX}"
    committed = path.read_text(encoding="utf-8")
    changes = _diff(committed, scene.html, path.name)
    assert committed == scene.html, f"the blocks of {scene.name} changed: {FIX}\n{changes}"


def test_no_page_or_picture_is_left_from_a_scene_that_is_gone() -> None:
    names = {scene.name for scene in SCENES}
    left = sorted(p.name for p in TOUR.glob("*.*") if p.suffix in (".html", ".png") and p.stem not in names)
    assert not left, f"no scene makes {left}: delete them"


def test_the_readme_shows_every_scene_with_its_caption() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for scene in SCENES:
        assert f"docs/tour/{scene.name}.png" in readme, f"README's tour lacks {scene.name}"
        line = scene.caption.removesuffix(".")  # the README may say where the picture stands: "… (left)."
        assert line in readme, f"README's line for {scene.name} is not its caption: {scene.caption}"


def test_every_scene_draws_all_its_blocks_and_is_deterministic() -> None:
    again = build()
    for scene, rebuilt in zip(SCENES, again, strict=True):
        assert "[unsupported:" not in scene.html, f"{scene.name} uses a block the HTML renderer cannot draw"
        assert scene.html == rebuilt.html
    assert len({scene.name for scene in SCENES}) == len(SCENES)


def test_the_script_writes_each_page_as_built(tmp_path: Path) -> None:
    paths = make_tour.write_pages(SCENES, tmp_path)
    assert [p.name for p in paths] == [f"{scene.name}.html" for scene in SCENES]
    assert all(p.read_text(encoding="utf-8") == s.html for p, s in zip(paths, SCENES, strict=True))


def test_the_workflow_step_scene_names_its_workflow_shows_the_reply_and_lists_every_output() -> None:
    scene = {scene.name: scene for scene in SCENES}["workflow_step"]
    assert "via workflow <b>New deal handoff</b>." in scene.html, "the announcement says which workflow asked"
    assert "1 reply" in scene.html
    assert "Copy completed." in scene.html, "the move's final reply, in its thread"
    outputs = [param.name for param in load_functions(DEFAULT_MANIFEST)[MOVE_STEP].outputs]
    assert outputs, "the manifest declares the step's outputs"
    missing = [name for name in outputs if f"`{name}`" not in scene.caption]
    assert not missing, f"the caption does not list the step's outputs {missing}"


def test_the_schedule_scene_shows_a_run_announced_as_scheduled_and_the_list_with_its_buttons() -> None:
    scene = {scene.name: scene for scene in SCENES}["schedule"]
    words = recurrence_of(scenes.WEEKLY).words()
    assert words == "every Monday at 09:00"
    assert f"(scheduled: {words})." in scene.html, "the run's announcement says it is a schedule's, and which"
    assert "1 reply" in scene.html, "the run is followed to its reply like any move"
    assert "every Monday at 09:00 (America/New York) · Next run: Mar 16, 2026 at 9:00 AM" in scene.html
    assert "Last run Mar 9, 2026 at 9:00 AM: started job #41" in scene.html
    buttons = re.findall(r'<span class="button[^"]*">([^<]+)</span>', scene.html)
    assert buttons == ["Pause", "Run now", "Edit", "Delete"], buttons
    assert f'"(scheduled: {words})"' in scene.caption
    assert "`/leads schedule`" in scene.caption
    assert "`/leads schedules`" in scene.caption
