"""index.html in headless Chromium: no console errors, every figure renders.

Uses Debian's ``chromium`` package with ``--dump-dom``: a copy of the page gets a probe
script in <head> that records uncaught errors and, on load, each <img>'s naturalWidth into
the DOM; Chromium's console log (``--enable-logging=stderr``) must hold no message at all
(the page itself has no scripts). Skipped only when /usr/bin/chromium is absent; CI
installs it (``apt-get install -y chromium``).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from reports.build import ReportFiles

CHROMIUM = Path("/usr/bin/chromium")

PROBE = """<script>
window.__errors = [];
window.addEventListener('error', function (e) {
  window.__errors.push(String(e.message || ('failed to load ' + (e.target && e.target.tagName))));
}, true);
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var out = document.createElement('pre');
  out.id = '__probe';
  out.textContent = JSON.stringify({
    widths: imgs.map(function (i) { return i.complete ? i.naturalWidth : 0; }),
    errors: window.__errors});
  document.body.appendChild(out);
});
</script>"""


def load_in_chromium(page: Path, profile: Path) -> tuple[dict[str, list[object]], list[str]]:
    probed = page.with_name("probed_" + page.name)
    probed.write_text(page.read_text(encoding="utf-8").replace("<head>", "<head>" + PROBE, 1),
                      encoding="utf-8")
    proc = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=5000", "--dump-dom", probed.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    match = re.search(r'<pre id="__probe">(.*?)</pre>', proc.stdout, re.S)
    assert match, f"probe missing; chromium exit {proc.returncode}: {proc.stderr[-2000:]}"
    probe = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return probe, console


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent (CI installs the "
                    "Debian 'chromium' package)")
def test_index_html_loads_without_errors_and_every_figure_renders(
        built_report: ReportFiles, tmp_path: Path) -> None:
    page = tmp_path / "index.html"
    page.write_text(built_report.index_html.read_text(encoding="utf-8"), encoding="utf-8")
    probe, console = load_in_chromium(page, tmp_path / "profile")
    assert probe["errors"] == []
    assert console == []
    widths = probe["widths"]
    assert len(widths) == built_report.index_html.read_text().count("<img ")
    assert len(widths) > 0 and all(isinstance(w, int) and w > 0 for w in widths), widths


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent")
def test_the_probe_catches_a_broken_image_and_a_script_error(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><html><head></head><body><img alt='x' "
                    "src='data:image/png;base64,AAAA'><script>nope();</script></body></html>")
    probe, console = load_in_chromium(page, tmp_path / "profile")
    assert probe["widths"] == [0]
    assert any("nope" in str(e) for e in probe["errors"])
    assert console
