"""Regenerate the tour: `python -m docs.tour.make_tour` writes docs/tour/<scene>.html and, where Chromium is installed
(Debian: `apt-get install chromium fonts-lato fonts-noto-color-emoji`), captures each as docs/tour/<scene>.png.

`--html-only` skips the pictures. tests/docs/test_tour.py fails when the committed HTML differs from what the
builders make now; this script is the one-line fix.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a file: the repository root is what makes `docs` and `bot` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from docs.tour.scenes import Scene, build

TOUR_DIR = Path(__file__).resolve().parent
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
SCALE = 2  # device pixels per CSS pixel: sharp on high-density screens; the README sizes each image to `width`
_HEIGHT = re.compile(r'data-height="(\d+)"')
# Added to a scratch copy only: the committed page carries no script.
_PROBE = (
    "<script>window.addEventListener('load', () => document.fonts.ready.then(() =>"
    " document.body.setAttribute('data-height', document.documentElement.scrollHeight)));</script>"
)


def write_pages(scenes: list[Scene], out: Path = TOUR_DIR) -> list[Path]:
    """Each scene's page as <name>.html in `out`; the paths written."""
    paths = []
    for scene in scenes:
        path = out / f"{scene.name}.html"
        path.write_bytes(scene.html.encode())
        paths.append(path)
    return paths


def _chromium(binary: str, profile: Path, *args: str) -> str:
    flags = ["--headless", "--hide-scrollbars", "--disable-gpu", f"--user-data-dir={profile}"]
    if os.geteuid() == 0:
        flags.append("--no-sandbox")  # Chromium refuses to start its sandbox as root
    done = subprocess.run(  # noqa: S603 - the binary is found on PATH and the arguments are ours
        [binary, *flags, *args], capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout


def capture(scene: Scene, binary: str, out: Path = TOUR_DIR) -> Path:
    """Measure the page's height at its width, then screenshot exactly that much of it."""
    png = out / f"{scene.name}.png"
    with tempfile.TemporaryDirectory() as scratch:
        probe = Path(scratch) / f"{scene.name}.html"
        probe.write_text(scene.html.replace("</body>", f"{_PROBE}</body>"), encoding="utf-8")
        dom = _chromium(
            binary,
            Path(scratch) / "profile",
            f"--window-size={scene.width},100",
            "--virtual-time-budget=5000",
            "--dump-dom",
            probe.as_uri(),
        )
        found = _HEIGHT.search(dom)
        if found is None:
            raise RuntimeError(f"could not measure {scene.name}: Chromium gave no height")
        page = Path(scratch) / "page.html"
        page.write_bytes(scene.html.encode())
        _chromium(
            binary,
            Path(scratch) / "profile",
            f"--window-size={scene.width},{found.group(1)}",
            f"--force-device-scale-factor={SCALE}",
            f"--screenshot={png}",
            page.as_uri(),
        )
    return png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--html-only", action="store_true", help="write the HTML pages, take no screenshots")
    args = parser.parse_args(argv)
    scenes = build()
    for path in write_pages(scenes):
        print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    if args.html_only:
        return 0
    binary = next((found for name in BROWSERS if (found := shutil.which(name))), None)
    if binary is None:
        print("no Chromium on PATH: the PNGs were left as they were (apt-get install chromium)", file=sys.stderr)
        return 1
    for scene in scenes:
        print(f"captured {capture(scene, binary).name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
