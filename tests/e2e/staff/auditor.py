"""The auditor's journey: a practice entry of a student is corrected (through the API, as the mentor does it); the
auditor finds the student by name, sees on the "as of" page what the system knew before the correction and after
it, takes an export of the student's record on the page, downloads it with the browser's session, and the CLI
`dualtrack audit verify-export --public-key` accepts it on another machine's footing (only the public key)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from selenium.webdriver.common.by import By

from tests.e2e.staff import Site
from tests.e2e.web import folded, place_a_second_student, set_value, submit
from tests.support.browser import Browser

PAGES: list[tuple[str, str]] = [
    ("/auditor", "auditor-gao"),
    ("/auditor?q=liu", "auditor-gao"),
    ("/auditor/students/{Liu Yang}", "auditor-gao"),
    ("/auditor/students/{Liu Yang}?context=training&type=PracticeCorrected", "auditor-gao"),
    ("/auditor/events/placements/{Liu Yang}/1", "auditor-gao"),
    ("/auditor/students/{Liu Yang}/as-of", "auditor-gao"),
    ("/auditor/students/{Liu Yang}/as-of?on=2026-11-27&known_at=2999-01-01T00:00:00", "auditor-gao"),
    ("/auditor/students/{Liu Yang}/reads", "auditor-gao"),
    ("/auditor/exports/student/{Liu Yang}", "auditor-gao"),
    ("/auditor/chains", "auditor-gao"),
]
"""The pages of this part: (path, handle of who opens it). A centre's page and a taken export's are opened by the
journey (their ids are not known beforehand)."""

STUDENT = "Xu Pingan"
DUALTRACK = Path(sys.executable).with_name("dualtrack")


def journey(site: Site) -> None:
    demo = replace(site.demo, admin=site.token("admin-wu"))
    today = date.today()
    day = today - timedelta(days=2)
    student = place_a_second_student(demo, STUDENT, start=today - timedelta(days=9))
    zhao = site.token("mentor-zhao")
    logged = site.demo.api.call("POST", f"/students/{student}/practice-entries", {
        "day": day.isoformat(), "start": "08:00", "end": "12:00", "competencies": ["MEC-01"],
        "description": "bogie inspection"}, zhao, expect=(201,))
    time.sleep(1.5)  # the moments asked about are given to the second: one before the correction, one after it
    between = datetime.now(UTC).replace(microsecond=0)
    time.sleep(1.5)
    site.demo.api.call("POST", f"/students/{student}/practice-entries/{logged['entry_id']}/correction", {
        "day": day.isoformat(), "start": "08:00", "end": "10:00", "competencies": ["MEC-01"],
        "description": "bogie inspection", "reason": "the afternoon was spent at the paint shop"}, zhao)
    time.sleep(1.5)
    after = datetime.now(UTC).replace(microsecond=0)

    gao = site.browser("auditor-gao", phone=True)
    # -- found by a part of the name, in another case --
    gao.open("/auditor", "find")
    gao.fill("q", "pINGa")
    submit(gao, gao.driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    gao.page("found")
    found = gao.driver.find_element(By.LINK_TEXT, STUDENT)
    assert "Qingdao" in folded(found.find_element(By.XPATH, "..").text), "the school beside the name"
    gao.press(found)
    gao.page("timeline")
    assert gao.driver.current_url.endswith(f"/auditor/students/{student}")
    assert "PracticeCorrected" in gao.text() and "the afternoon was spent" not in gao.text()

    # -- as of a moment before the correction, and after it --
    gao.click("As of a moment")
    gao.page("as-of-form")
    _as_of(gao, day, between)
    gao.page("as-of-before-the-correction")
    mec = _row(gao, "MEC-01")
    assert "differs" in mec and "4 h awaiting" in mec and "2 h awaiting" in mec, mec
    entry = _row(gao, "Entry 1")
    assert "08:00–12:00" in entry and "08:00–10:00" in entry, entry
    _as_of(gao, day, after)
    gao.page("as-of-after-the-correction")
    mec = _row(gao, "MEC-01")
    assert "differs" not in mec and mec.count("2 h awaiting") == 2, mec
    assert "Nothing differs from what is known now." in gao.text()

    # -- an export taken on the page, downloaded and verified elsewhere --
    gao.click("Export")
    gao.page("export")
    key_id = gao.driver.find_element(By.ID, "key-id").text.strip()
    gao.click("Take an export")
    gao.page("export-taken")
    verdict = folded(gao.driver.find_element(By.ID, "verdict").text)
    assert verdict.startswith("Verified.") and key_id in verdict, verdict
    exported = _download(gao, gao.driver.find_element(By.ID, "download").get_attribute("href") or "")
    assert exported.count(b"\n") > 5 and student.encode() in exported.split(b"\n")[0]
    _verified_elsewhere(site, exported, key_id)

    # -- a centre, found by name, with the students it hosted --
    gao.open("/auditor?q=maintenance+BASE&kind=centres", "centre-found")
    gao.press(gao.driver.find_element(By.LINK_TEXT, "High-Speed Train Maintenance Base"))
    gao.page("centre")
    assert STUDENT in gao.text() and "CRRC Qingdao Sifang" in gao.text()
    gao.click("This centre's record as of a moment")
    _as_of(gao, day, between)
    gao.page("centre-as-of")
    assert STUDENT in _row(gao, "Students holding a place that day")

    # -- the chains, each context's status --
    gao.open("/auditor/chains", "chains")
    for context in ("placements", "training", "audit"):
        assert gao.driver.find_element(By.ID, f"chain-{context}")
    gao.press(gao.driver.find_element(By.CSS_SELECTOR, "#chain-training button[type=submit]"))
    gao.page("chain-verified")
    assert "verified" in folded(gao.driver.find_element(By.ID, "chain-training").text)


def _as_of(browser: Browser, day: date, moment: datetime) -> None:
    set_value(browser, "on", day.isoformat())
    # a datetime-local field writes a whole minute without its ":00" seconds
    set_value(browser, "known_at", moment.strftime("%Y-%m-%dT%H:%M" if moment.second == 0 else "%Y-%m-%dT%H:%M:%S"))
    submit(browser, browser.driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))


def _row(browser: Browser, label: str) -> str:
    for tr in browser.find("table.as-of tbody tr"):
        cells = tr.find_elements(By.CSS_SELECTOR, "th, td")
        if cells and folded(cells[0].text).startswith(label):
            return folded(" | ".join(c.text for c in cells))
    raise AssertionError(f"no row {label!r}: {browser.text()}")


def _download(browser: Browser, href: str) -> bytes:
    """The file behind the link, fetched with the browser's own session cookie."""
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in browser.driver.get_cookies())
    request = urllib.request.Request(href, headers={"Cookie": cookies})
    with urllib.request.urlopen(request, timeout=60) as answer:
        assert answer.headers.get_content_type() == "application/x-ndjson"
        return bytes(answer.read())


def _verified_elsewhere(site: Site, exported: bytes, key_id: str) -> None:
    """`dualtrack audit verify-export` on a machine with nothing of the deployment but its public key."""
    deployment = {**os.environ, "DUALTRACK_DATA_DIR": str(site.running.data_dir)}
    public = subprocess.run([str(DUALTRACK), "credentials", "public-key", "--purpose", "exports"], env=deployment,
                            check=True, capture_output=True).stdout
    folder = Path(tempfile.mkdtemp(prefix="auditor-journey-"))
    (folder / "deployment.pub").write_bytes(public)
    (folder / "record.jsonl").write_bytes(exported)
    elsewhere = {k: v for k, v in os.environ.items() if not k.startswith(("DUALTRACK_", "KAFKA_"))}
    elsewhere["DUALTRACK_DATA_DIR"] = str(folder / "an-auditors-laptop")
    verified = subprocess.run([str(DUALTRACK), "audit", "verify-export", str(folder / "record.jsonl"),
                               "--public-key", str(folder / "deployment.pub")], env=elsewhere, capture_output=True,
                              text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith("VERIFIED") and key_id in verified.stdout, verified.stdout
