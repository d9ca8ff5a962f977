"""Screenshot of the workshop dashboard for the README: docs/figures/dashboard.png.

Starts ``care-sim app`` (``python -m sim.app``) on 127.0.0.1 at a free port, opens it in
Debian's headless Chromium through Playwright (the system browser: nothing is
downloaded), runs the default town for a few years and saves a screenshot.

    python experiments/dashboard.py                  # docs/figures/dashboard.png
    python experiments/dashboard.py --compare lump_sum --out /tmp/side-by-side.png

Chromium must be at /usr/bin/chromium (``scripts/browser`` installs it). The helpers
here (:func:`running_app`, :func:`open_browser`, :class:`Dashboard`) also drive
``tests/test_app.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
#: Chromium flags: headless, no sandbox (CI containers run as root), and no network of its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: A projector-like window (16:10).
VIEWPORT = {"width": 1680, "height": 1050}


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 now."""
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(*args: str, log: Path, timeout: float = 90.0, env: dict | None = None) -> Iterator[str]:
    """Run ``python -m sim.app --port <free> *args`` and yield its URL once it answers.

    The server's output goes to ``log``. The server is always stopped (terminated, then
    killed) when the block ends, also on failure.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sim.app", "--port", str(port), *args],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"the app exited with code {proc.returncode}: {log.read_text()[-2000:]}")
                try:
                    with urllib.request.urlopen(url, timeout=5) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"the app did not answer at {url} within {timeout:.0f} s: {log.read_text()[-2000:]}"
                    )
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def open_browser(playwright, external: list[str], viewport: dict | None = None) -> Iterator:
    """A fresh headless Chromium context (own profile) with a blank page.

    Every request the page makes to another host than 127.0.0.1 is refused and its URL
    appended to ``external`` (the dashboard must work offline).
    """
    if not CHROMIUM.exists():
        raise FileNotFoundError(f"{CHROMIUM} is missing: run scripts/browser (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="care-sim-chromium-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, viewport=viewport or VIEWPORT
        )
        try:

            def route(r):
                url = r.request.url
                if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
                    r.continue_()
                else:
                    external.append(url)
                    r.abort()

            context.route("**/*", route)
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


class Dashboard:
    """Drive the dashboard page: wait for it, read its figures, step, change inputs."""

    FIGURES = ("network", "care", "underservice", "money")

    def __init__(self, page, timeout_ms: float = 60_000):
        self.page = page
        self.timeout = timeout_ms

    def open(self, url: str) -> None:
        self.page.goto(url, timeout=self.timeout)
        for name in self.FIGURES:
            self.page.wait_for_selector(f"img.care-sim-{name}", timeout=self.timeout)

    def sources(self) -> dict[str, str]:
        """The ``src`` of each figure image (a new blob URL whenever the image changes)."""
        return self.page.evaluate(
            """() => Object.fromEntries(Array.from(document.querySelectorAll('img.care-sim-figure'))
                .map(e => [Array.from(e.classList).find(c => c.startsWith('care-sim-') && c !== 'care-sim-figure')
                           .slice(9), e.src]))"""
        )

    def week(self) -> int:
        """The week the page says the model is at."""
        return int(self.page.locator(".care-sim-week").first.inner_text(timeout=self.timeout).split()[1])

    def wait_for_week(self, week: int) -> None:
        self.page.wait_for_function(
            """w => { const e = document.querySelector('.care-sim-week');
                      return e && e.textContent.startsWith(`Week ${w} of`); }""",
            arg=week,
            timeout=self.timeout,
        )

    def wait_for_change(self, before: dict[str, str], names=FIGURES) -> dict[str, str]:
        """Wait until every figure in ``names`` shows a new image; return the new sources."""
        self.page.wait_for_function(
            """([before, names]) => names.every(n => {
                   const e = document.querySelector('img.care-sim-' + n);
                   return e && e.src && e.src !== before[n] && e.complete && e.naturalWidth > 0; })""",
            arg=[before, list(names)],
            timeout=self.timeout,
        )
        return self.sources()

    def click(self, label: str) -> None:
        self.page.get_by_role("button", name=label, exact=True).click(timeout=self.timeout)

    def select(self, label: str, value: str) -> None:
        """Choose ``value`` in the Vuetify select labelled ``label``."""
        field = self.page.locator(".v-select").filter(has=self.page.locator(f"label:text-is('{label}')"))
        field.locator(".v-select__slot").click(timeout=self.timeout)
        self.page.locator(".v-menu__content .v-list-item").filter(has_text=value).first.click(timeout=self.timeout)

    def nudge_slider(self, label: str, key: str = "ArrowRight", times: int = 1) -> None:
        """Move the slider whose label starts with ``label`` by ``times`` steps with the keyboard."""
        block = self.page.locator(".care-sim-label").filter(has_text=label).first
        thumb = block.locator("xpath=following::*[@role='slider'][1]")
        thumb.focus(timeout=self.timeout)
        for _ in range(times):
            thumb.press(key)

    def slider_label(self, label: str) -> str:
        return self.page.locator(".care-sim-label").filter(has_text=label).first.inner_text(timeout=self.timeout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "figures" / "dashboard.png")
    parser.add_argument("--years", type=int, default=3, help="years to run before the screenshot (default 3)")
    parser.add_argument("--compare", default=None, help="a second funding model, side by side")
    parser.add_argument("--height", type=int, default=1400, help="window height in pixels (default 1400: all plots)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    external: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, running_app(log=Path(tmp) / "app.log") as url, sync_playwright() as pw:
        with open_browser(pw, external, {"width": VIEWPORT["width"], "height": args.height}) as page:
            d = Dashboard(page)
            d.open(url)
            if args.compare:
                before = d.sources()
                d.select("compare with", args.compare)
                d.wait_for_change(before, ("network",))
            d.select("weeks per step", "52")
            for year in range(1, args.years + 1):
                before = d.sources()
                d.click("Step")
                d.wait_for_week(52 * year)
                d.wait_for_change(before)
            page.wait_for_timeout(500)
            timing = page.locator(".care-sim-timing").inner_text()
            args.out.parent.mkdir(parents=True, exist_ok=True)
            tmp_out = args.out.with_suffix(".tmp.png")
            page.screenshot(path=str(tmp_out))
            os.replace(tmp_out, args.out)
    if external:
        print(f"warning: the page tried to reach {len(external)} external address(es): {external[:3]}", file=sys.stderr)
    print(f"wrote {args.out}; {timing}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
