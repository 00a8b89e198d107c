"""The HTML report in a real browser: headless Chromium (Debian's `chromium`) driven by
Playwright (pinned in requirements-browser.txt, `executable_path` set: no browser download).

Renders the demo account's report offline (`connector-audit check --format html` on
tests/fixtures/demo-account.json), and the JSON report of the same input to compare with,
then asserts: no console errors, no network request, one table row per finding, one graph
node per role and per trusted party, filtering by severity hides exactly the other rows, and
with the script off the table is still there. Writes the screenshot docs/report.png.

Run by `make browser-test` (part of `make test`): python3 tests/browser/test_report.py BINARY
"""

import json
import pathlib
import subprocess
import sys
import tempfile

from playwright.sync_api import sync_playwright

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
DUMP = ROOT / "tests" / "fixtures" / "demo-account.json"


def render(binary, fmt):
    done = subprocess.run(
        [binary, "check", "--input", str(DUMP), "--format", fmt],
        capture_output=True,
        text=True,
        check=False,
    )
    # 0: nothing at or above --fail-on; 1: findings at or above it (the demo has some)
    assert done.returncode in (0, 1), done.stderr
    return done.stdout


def label(party):
    """TrustedParty::label, as the report's graph names a party."""
    name, owner, account = party["name"], party["owner"], party.get("account")
    if account:
        if owner == "unknown":
            return f"unknown account {account}"
        if owner == "declared":
            return f"{name} ({account}, declared by tag)"
        return f"{name} ({account})"
    if owner == "unknown":
        return f"unknown principal `{party['principal']}`"
    return name


def check(ok, what):
    if not ok:
        raise AssertionError(what)
    print(f"ok: {what}")


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target" / "debug" / "connector-audit")
    report = json.loads(render(binary, "json"))
    page_html = render(binary, "html")
    findings = report["findings"]
    parties = {label(p) for r in report["roles"] for p in r.get("trusted_parties", [])}
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "report.html"
        path.write_text(page_html, encoding="utf-8")
        url = path.as_uri()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
            context = browser.new_context(viewport={"width": 1280, "height": 1500})
            page = context.new_page()
            errors, requests = [], []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url)
            page.wait_for_load_state("networkidle")

            check(errors == [], f"no console errors ({errors})")
            others = [r for r in requests if r != url]
            check(others == [], f"no network request beyond the file itself ({others})")
            rows = page.locator("#findings-table tbody tr.finding")
            check(rows.count() == len(findings), f"{len(findings)} table rows, one per finding")
            roles = page.locator("svg#graph g.node[data-kind=role]")
            check(roles.count() == len(report["roles"]), f"{len(report['roles'])} role nodes")
            drawn = set(page.locator("svg#graph g.node[data-kind=party]").evaluate_all(
                "ns => ns.map(n => n.getAttribute('data-id'))"))
            check(drawn == parties, f"{len(parties)} party nodes, one per trusted party")
            check(page.locator("#filters").is_visible(), "the filters show with the script on")

            for severity in ("critical", "high"):
                want = sum(1 for f in findings if f["severity"] == severity)
                page.select_option("select[data-filter=severity]", severity)
                visible = page.locator("#findings-table tbody tr.finding:visible")
                check(visible.count() == want, f"filtering by {severity} shows {want} rows")
                shown = set(visible.evaluate_all("rs => rs.map(r => r.dataset.severity)"))
                check(shown <= {severity}, f"only {severity} rows are shown")
            page.select_option("select[data-filter=severity]", "")
            check(page.locator("#findings-table tbody tr.finding:visible").count() == len(findings),
                  "clearing the filter shows every row")

            # sorting by severity keeps every row
            page.click("th[data-sort=severity]")
            ranks = page.locator("#findings-table tbody tr.finding").evaluate_all(
                "rs => rs.map(r => Number(r.dataset.rank))")
            check(len(ranks) == len(findings) and (ranks == sorted(ranks) or ranks == sorted(ranks, reverse=True)),
                  "sorting by severity orders the rows")
            page.click("th[data-sort=severity]")

            # one finding opened, for the screenshot: the statement, the fix's diff
            first = page.locator("#findings-table tbody tr.finding details").first
            first.locator("summary").click()
            check(first.locator("pre.diff").count() <= 1, "a finding opens")
            width = page.evaluate("document.documentElement.scrollWidth")
            check(width <= 1280, f"the page fits its width ({width}px)")
            page.evaluate("window.scrollTo(0, 0)")
            # the one thing that differs between runs: the picture in docs/ stays the same file
            page.evaluate("document.getElementById('generated').textContent = '2026-11-30T00:00:00Z'")
            out = ROOT / "docs" / "report.png"
            page.screenshot(path=str(out), full_page=False)
            print(f"screenshot: {out.relative_to(ROOT)}")
            check(errors == [], f"still no console errors ({errors})")

            off = browser.new_context(java_script_enabled=False)
            plain = off.new_page()
            plain.goto(url)
            check(plain.locator("#findings-table tbody tr.finding").count() == len(findings),
                  "with the script off the table is there, whole")
            check(not plain.locator("#filters").is_visible(), "with the script off the filters stay hidden")
            browser.close()
    print("browser test: passed")


if __name__ == "__main__":
    main()
