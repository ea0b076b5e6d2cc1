"""index.html in headless Chromium: what a reader sees.

Uses Debian's ``chromium`` package with ``--dump-dom``: a copy of the page gets a probe
script in <head> that records uncaught errors and, on load, writes into the DOM what the
reader gets: each <img>'s natural width, the box of every <math> element, the visible text
(``innerText``), and every in-page link with whether its target exists. Chromium's console
log (``--enable-logging=stderr``) must hold no message (the page itself has no scripts). A
screenshot of the page is kept under the report directory (``screenshots/index.png``) and,
in CI, copied to ``ci-artifacts/`` at the repository root. CI installs chromium
(``apt-get install -y chromium``); the tests are in the slow step.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from reports.build import ReportFiles
from reports.claims import CLAIMS

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "ci-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]

PROBE = """<script>
window.__errors = [];
window.addEventListener('error', function (e) {
  window.__errors.push(String(e.message || ('failed to load ' + (e.target && e.target.tagName))));
}, true);
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var maths = Array.prototype.slice.call(document.getElementsByTagName('math'));
  var links = Array.prototype.slice.call(document.querySelectorAll('a[href^="#"]'));
  var rows = Array.prototype.slice.call(document.querySelectorAll('#tab-claims tbody tr'));
  var out = document.createElement('pre');
  out.id = '__probe';
  out.textContent = JSON.stringify({
    widths: imgs.map(function (i) { return i.complete ? i.naturalWidth : 0; }),
    maths: maths.map(function (m) { var r = m.getBoundingClientRect();
                                    return [r.width, r.height]; }),
    text: document.body.innerText,
    links: links.map(function (a) { var id = a.getAttribute('href').slice(1);
                                    return [id, document.getElementById(id) !== null]; }),
    rows: rows.map(function (r) { var a = r.querySelector('a[href^="#claim-"]');
                                  return a ? a.getAttribute('href') : null; }),
    errors: window.__errors});
  document.body.appendChild(out);
});
</script>"""

RAW_SOURCE = ("|---", "\\frac", "\\text", "\\le", "$$", "\\left")


def load_in_chromium(page: Path, profile: Path) -> tuple[dict[str, Any], list[str]]:
    probed = page.with_name("probed_" + page.name)
    probed.write_text(page.read_text(encoding="utf-8").replace("<head>", "<head>" + PROBE, 1),
                      encoding="utf-8")
    proc = subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr",
         "--v=0", "--virtual-time-budget=5000", "--dump-dom", probed.as_uri()],
        capture_output=True, text=True, timeout=180, check=False)
    match = re.search(r'<pre id="__probe">(.*?)</pre>', proc.stdout, re.S)
    assert match, f"probe missing; chromium exit {proc.returncode}: {proc.stderr[-2000:]}"
    raw = match.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
    probe = json.loads(raw.replace("&amp;", "&"))
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return probe, console


def reader_problems(probe: dict[str, Any], claims: int) -> list[str]:
    """What a reader would see wrong on the page (empty when the page is right)."""
    problems = [f"raw source {s!r} in the visible text" for s in RAW_SOURCE if s in probe["text"]]
    problems += [f"math element {i} has an empty box {box}"
                 for i, box in enumerate(probe["maths"]) if not (box[0] > 0 and box[1] > 0)]
    problems += [f"figure {i} did not load" for i, w in enumerate(probe["widths"]) if not w > 0]
    problems += [f"link to #{target} has no target" for target, ok in probe["links"] if not ok]
    if len(probe["rows"]) != claims or None in probe["rows"]:
        problems.append(f"{len(probe['rows'])} claim rows, {probe['rows'].count(None)} without "
                        f"a link to their evidence; expected {claims} linked rows")
    return problems + [f"script error: {e}" for e in probe["errors"]]


def screenshot(page: Path, target: Path, profile: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}",
                    "--window-size=1200,3000", f"--screenshot={target}", page.as_uri()],
                   capture_output=True, timeout=180, check=True)


needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="/usr/bin/chromium is absent (CI installs the Debian 'chromium' package)")


@pytest.mark.slow
@needs_chromium
def test_what_a_reader_sees_is_rendered(built_report: ReportFiles, tmp_path: Path) -> None:
    page = built_report.root / "index.html"
    probe, console = load_in_chromium(page, tmp_path / "profile")
    assert console == []
    assert reader_problems(probe, len(CLAIMS)) == []
    assert len(probe["maths"]) > 20  # the bounds table and the appendix are typeset
    assert len(probe["widths"]) == page.read_text().count("<img ")
    html = page.read_text()
    for link in set(re.findall(r'href="(sources/[^"]+)"', html)):
        assert (built_report.root / link).is_file(), link
    assert re.search(r'href="sources/seeds/000_[0-9a-f]+\.txt"', html)
    shot = built_report.root / "screenshots" / "index.png"
    screenshot(page, shot, tmp_path / "profile2")
    assert shot.read_bytes()[:4] == b"\x89PNG"
    if os.environ.get("CI"):
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copyfile(shot, ARTIFACTS / "report-index.png")


@pytest.mark.slow
@needs_chromium
def test_the_probe_catches_what_a_reader_would_see_wrong(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><html><head></head><body>"
                    "<p>| a | b |\n|---|---|</p><p>\\frac{1}{2}</p>"
                    "<math style='display:none'><mi>x</mi></math>"
                    "<a href='#nowhere'>x</a>"
                    "<table id='tab-claims'><tbody><tr><td>no link</td></tr></tbody></table>"
                    "<img alt='x' src='data:image/png;base64,AAAA'><script>nope();</script>"
                    "</body></html>")
    probe, console = load_in_chromium(page, tmp_path / "profile")
    problems = reader_problems(probe, claims=2)
    assert any("'|---'" in p for p in problems) and any("'\\\\frac'" in p for p in problems)
    assert any("math element 0 has an empty box" in p for p in problems)
    assert any("figure 0 did not load" in p for p in problems)
    assert any("#nowhere has no target" in p for p in problems)
    assert any("1 claim rows, 1 without a link" in p for p in problems)
    assert any("nope" in p for p in problems) and console
