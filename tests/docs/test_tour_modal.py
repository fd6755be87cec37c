"""The tour's move modal fits one screen (issue 20, point 3): drawn with More filters closed, its picture is at most
900 px high when the README shows it 360 px wide. What needs no browser is checked on the page; the height on the
committed picture, whose size its PNG header states."""

from __future__ import annotations

import re
import struct
from pathlib import Path

from docs.tour import make_tour
from docs.tour.scenes import build
from handlers import ids, more_filters

TOUR = Path(__file__).resolve().parents[2] / "docs" / "tour"
SHOWN_WIDTH = 360  # the README's <img width="360"> for the modal and its preview
SCREEN_HEIGHT = 900
SCENES = {scene.name: scene for scene in build()}
HIDDEN_LABELS = ("Only these emails", "Email provider", "Email security gateway", "Assign the leads to")


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return int(width), int(height)


def test_the_modal_scenes_show_more_filters_closed_with_its_fields_off_the_form() -> None:
    assert len(more_filters.FIELDS) == len(HIDDEN_LABELS)
    assert ids.CONTACTS in more_filters.FIELDS
    for name in ("modal", "preview"):
        page = SCENES[name].html
        assert '<span class="button">More filters</span>' in page, name
        assert "Fewer filters" not in page, name
        assert not [label for label in HIDDEN_LABELS if label in page], name
        assert ">Which leads<" in page, name
        # "(optional)" only where Slack writes it: after the label of an input that may be left empty.
        assert re.findall(r"[^>]\(optional\)|\(optional\)[^<]", page) == [], name


def test_the_modal_picture_fits_one_screen_at_the_width_the_readme_shows_it() -> None:
    readme = (TOUR.parents[1] / "README.md").read_text(encoding="utf-8")
    assert f'<img src="docs/tour/modal.png" width="{SHOWN_WIDTH}"' in readme
    width, height = _png_size(TOUR / "modal.png")
    assert width == SCENES["modal"].width * make_tour.SCALE, "modal.png is not a picture of the modal scene"
    shown = height * SHOWN_WIDTH / width
    assert shown <= SCREEN_HEIGHT, f"modal.png is {shown:.0f} px high at {SHOWN_WIDTH} px wide"
