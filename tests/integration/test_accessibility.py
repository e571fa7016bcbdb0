"""Integration: the HTML papers pass an automated WCAG 2.2 AA audit in a real browser.

axe-core (npm, pinned in tests/accessibility/package.json and its lock file,
installed by `make axe`, which `make test` and `.ci/run` run first) is injected
into each rendered HTML file opened in Debian's Chromium, headless, driven
through the Chrome DevTools protocol over a pipe (``--remote-debugging-pipe``:
no driver binary, no port, nothing downloaded at run time). The audit runs the
rules tagged wcag2a, wcag2aa, wcag21a, wcag21aa and wcag22aa; any violation
fails the test with the rule, its impact and the first offending elements.

A missing browser or axe-core is a failure, never a skip: an audit that did
not run is not a pass.
"""
from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from pipeline import cli
from pipeline.papers import publish
from pipeline.paths import PROJ_ROOT, output_dir, processed_dir

pytestmark = pytest.mark.integration

AXE_JS = PROJ_ROOT / "tests" / "accessibility" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-extensions", "--mute-audio"]
ANNUAL, PREVIOUS, BOARD = "example-annual-2012", ("example-annual-2010", "example-annual-2011"), "example-phase1"


def chromium_path() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        pytest.fail("Chromium is not installed: `apt-get install -y chromium` (run by .ci/run); "
                    "the accessibility audit cannot run, and a check that did not run is not a pass")
    return exe


def axe_source() -> str:
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS.relative_to(PROJ_ROOT)} is missing: run `make axe` "
                    "(npm ci in tests/accessibility, from the committed package-lock.json)")
    return AXE_JS.read_text(encoding="utf-8")


class DevTools:
    """A headless Chromium spoken to over the DevTools protocol on fds 3 and 4 (``--remote-debugging-pipe``)."""

    def __init__(self, exe: str, timeout: float = 90.0):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="axe-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire():  # in the child: its fd 3 reads our commands, fd 4 writes its answers
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self.proc = subprocess.Popen(
            [exe, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=wire, close_fds=False)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next = 0
        self.events: list[dict] = []

    def close(self):
        try:
            self.send("Browser.close")
        except Exception:  # noqa: BLE001 - the browser may already be gone; it is killed below
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    err = self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else ""
                    raise RuntimeError(f"Chromium closed the DevTools pipe. {err[-2000:]}")
                self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next += 1
        msg = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, session: str) -> dict:
        deadline = time.monotonic() + self.timeout
        while True:
            for i, ev in enumerate(self.events):
                if ev.get("method") == method and ev.get("sessionId") == session:
                    return self.events.pop(i)
            self.events.append(self._read_message(deadline))

    def open(self, url: str) -> str:
        """A new page showing ``url``, loaded; returns its session id."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.send("Page.enable", session=session)
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_event("Page.loadEventFired", session)
        return session

    def evaluate(self, session: str, expression: str, awaits: bool = False):
        result = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": awaits,
                                                "returnByValue": True}, session=session)
        if "exceptionDetails" in result:
            raise RuntimeError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")


def axe_violations(html: Path) -> tuple[list[dict], int]:
    """The violations axe-core finds in ``html`` (and how many rules passed, to show it really ran)."""
    source = axe_source()
    browser = DevTools(chromium_path())
    try:
        session = browser.open(html.resolve().as_uri())
        browser.evaluate(session, source)
        options = json.dumps({"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]})
        result = browser.evaluate(
            session,
            f"axe.run(document, {options}).then(r => JSON.stringify({{violations: r.violations, "
            f"passes: r.passes.length}}))",
            awaits=True)
    finally:
        browser.close()
    doc = json.loads(result)
    return doc["violations"], doc["passes"]


def _describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        targets = "; ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:3])
        lines.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])} element(s)): {v['help']} -- {targets}")
    return "\n".join(lines)


def _ensure_analysed(review_id: str) -> None:
    if not (processed_dir(review_id) / "findings__status.json").exists():
        assert cli.build(review_id, render=False) == 0


@pytest.fixture(scope="module")
def annual_html() -> Path:
    for review_id in (*PREVIOUS, ANNUAL):
        _ensure_analysed(review_id)
    publish.build_papers(ANNUAL)
    return output_dir(ANNUAL) / "annual-audit-report.html"


@pytest.fixture(scope="module")
def board_html() -> Path:
    _ensure_analysed(BOARD)
    publish.build_papers(BOARD)
    return output_dir(BOARD) / "board-paper.html"


def test_browser_and_axe_are_installed():
    assert Path(chromium_path()).exists()
    assert "axe.run" in axe_source() or "axe" in axe_source()[:2000]


def test_annual_report_html_has_no_wcag22_aa_violations(annual_html):
    violations, passes = axe_violations(annual_html)
    assert passes > 0, "axe-core ran no rule"
    assert violations == [], "WCAG 2.2 AA violations in the annual report:\n" + _describe(violations)


def test_board_paper_html_has_no_wcag22_aa_violations(board_html):
    violations, passes = axe_violations(board_html)
    assert passes > 0, "axe-core ran no rule"
    assert violations == [], "WCAG 2.2 AA violations in the Board paper:\n" + _describe(violations)


def test_the_audit_catches_a_violation(tmp_path):
    """The harness can fail: an image without alt text and grey-on-grey text are reported."""
    page = tmp_path / "bad.html"
    page.write_text('<!doctype html><html lang="en"><head><title>Bad</title></head><body><main>'
                    '<p style="color:#bbb;background:#ccc">faint</p><img src="data:image/gif;base64,'
                    'R0lGODlhAQABAAAAACw=" width="10" height="10"></main></body></html>', encoding="utf-8")
    violations, _ = axe_violations(page)
    assert {"image-alt", "color-contrast"} <= {v["id"] for v in violations}
