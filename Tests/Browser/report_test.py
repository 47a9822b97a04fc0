#!/usr/bin/env python3
"""Opens the progress report page in headless Chromium, as a reviewer would.

Run by the Swift end-to-end test ReportTests (Tests/EndToEndTests/ReportTests.swift) after it
has built a small register:

    report_test.py --url http://127.0.0.1:PORT --reviewer wang --reviewer-token esync_… \
        --year 2026 --artefacts test-artifacts

Checks that the charts are valid XML (SVG), that every table has its CSV download and that
one downloads with the session, that the print stylesheet is there, and keeps a screenshot of
the whole page (review-report.png). Exits 0 when every check passed.
"""

import argparse
import os
import sys
import urllib.request
import xml.etree.ElementTree as ET

from selenium.webdriver.common.by import By

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from review_test import browser, check, screenshot, sign_in  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}svg"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--reviewer", required=True)
    parser.add_argument("--reviewer-token", required=True)
    parser.add_argument("--year", required=True)
    parser.add_argument("--artefacts", required=True)
    args = parser.parse_args()
    os.makedirs(args.artefacts, exist_ok=True)
    driver = browser(args)
    try:
        driver.get(f"{args.url}/review/report?year={args.year}")
        check(lambda: "/review/login" in driver.current_url, "the report asks for a login")
        sign_in(driver, args.reviewer, args.reviewer_token)
        check(lambda: "进度报告" in driver.find_element(By.TAG_NAME, "h1").text, "signed in, the report page")
        svgs = driver.find_elements(By.TAG_NAME, "svg")
        check(len(svgs) == 3, "three charts")
        for n, element in enumerate(svgs):
            root = ET.fromstring(element.get_attribute("outerHTML"))
            check(root.tag == SVG, f"chart {n + 1} is valid SVG XML")
        html = driver.page_source
        check("@media print" in html, "a print stylesheet")
        links = driver.find_elements(By.CSS_SELECTOR, "a.csv")
        check(len(links) == 7, "a CSV download for each of the seven tables")
        cookie = driver.get_cookie("esync_session")["value"]
        request = urllib.request.Request(links[1].get_attribute("href"), headers={"Cookie": f"esync_session={cookie}"})
        with urllib.request.urlopen(request) as response:
            text = response.read().decode("utf-8-sig")
        check(text.startswith("region,name,records") and "410000,全省" in text, "the regions table downloads as CSV")
        screenshot(driver, os.path.join(args.artefacts, "review-report.png"))
    except Exception as error:  # noqa: BLE001
        path = os.path.join(args.artefacts, "review-report-failure.png")
        driver.save_screenshot(path)
        print(f"FAILED: {error}; screenshot {path}", flush=True)
        return 1
    finally:
        driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
