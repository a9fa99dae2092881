"""Both report views in a real headless Chromium (Debian's package, driven by Playwright; no browser download)
against a live server: no console errors, every chart drawn, screenshots kept under the test run directory."""
import shutil
from pathlib import Path

import pytest

from reports.links import link_token
from tests.environment import RUN_DIR
from tests.support.results import measured_benchmark_row, report_row, trained_run_row

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="real-browser report test skipped: Chromium is not installed at "
                                                     "/usr/bin/chromium (apt-get install chromium; .ci/run does)"),
]


def _open(page, url: str) -> list[str]:
    """Load `url`; every console error and uncaught page error, as text."""
    problems = []
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    response = page.goto(url, wait_until="load")
    assert response.status == 200, f"{url} answered {response.status}"
    return problems


def test_both_views_load_in_chromium_with_every_chart_drawn_and_no_console_error(live_server, alice):
    from playwright.sync_api import sync_playwright

    run = trained_run_row(owner=alice)
    reports = [report_row(owner=alice, subject_kind="training_run", subject_id=run.pk),
               report_row(owner=alice, subject_kind="benchmark", subject_id=measured_benchmark_row(owner=alice).pk)]
    shots = RUN_DIR / "screenshots"
    shots.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            for report in reports:
                token = link_token(report_id=report.pk)
                problems = _open(page, f"{live_server.url}/reports/{report.pk}/?sig={token}")
                charts = page.locator("figure.plot")
                assert charts.count() == len(report.snapshot["plots"]) > 0
                for index in range(charts.count()):
                    chart = charts.nth(index)
                    box = chart.locator("svg").bounding_box()
                    assert box and box["width"] > 200 and box["height"] > 100, chart.get_attribute("data-plot")
                    assert chart.locator("svg path").count() > 20, chart.get_attribute("data-plot")
                tables = page.locator("table.raw")
                assert tables.count() == len(report.snapshot["tables"])
                technical = shots / f"report-{report.pk}-technical.png"
                page.screenshot(path=str(technical), full_page=True)

                problems += _open(page, f"{live_server.url}/reports/{report.pk}/simple/?sig={token}")
                lights = page.locator("#findings li")
                assert lights.count() == len(report.snapshot["summary"]["findings"])
                assert page.locator("#findings li .light").first.evaluate(
                    "e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
                simple = shots / f"report-{report.pk}-simple.png"
                page.screenshot(path=str(simple), full_page=True)
                assert problems == [], problems
                print(f"\nscreenshots: {technical} {simple}")
        finally:
            browser.close()
    assert shutil.disk_usage(shots).free > 0 and technical.stat().st_size > 10_000
