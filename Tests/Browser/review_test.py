#!/usr/bin/env python3
"""Drives the review pages in headless Chromium, as a reviewer would.

Run by the Swift end-to-end test ReviewPageTests (Tests/EndToEndTests/ReviewPageTests.swift),
which starts a real esync-aggregator and agents and parks the conflicts this script decides:

    review_test.py --url http://127.0.0.1:PORT --reviewer wang --reviewer-token esync_… \
        --bureau-token esync_… --db province.sqlite --conflict 3 --bulk 5,7 --forged 9 \
        --artefacts test-artifacts

It signs in (after a bureau token is refused), looks at the queue, filters it, opens a
conflict, takes the bureau's value with a note, decides two more in bulk, sends a form with a
forged CSRF token, and signs out; after each decision it reads the database. Screenshots of the
queue and of the conflict page go to the artefacts folder. Needs Debian's chromium and
chromium-driver and `pip install selenium`. Exits 0 when every check passed.
"""

import argparse
import base64
import os
import shutil
import subprocess
import sqlite3
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

checks = 0


def check(condition, what, timeout=5.0):
    """`condition` may be a function: it is retried until it holds or `timeout` passes, since a
    click that submits a form returns before the next page has loaded."""
    global checks
    deadline = time.monotonic() + timeout
    while callable(condition):
        try:
            if condition():
                break
        except Exception:  # noqa: BLE001 - an element of the next page not there yet
            pass
        if time.monotonic() > deadline:
            raise AssertionError(what)
        time.sleep(0.1)
    if not condition:
        raise AssertionError(what)
    checks += 1
    print(f"  ok  {what}", flush=True)


def conflict_row(db, conflict_id):
    if db.startswith("postgresql://"):
        # The register on PostgreSQL (ESYNC_TEST_BACKEND=postgresql): read through psql.
        out = subprocess.run([shutil.which("psql") or "/usr/bin/psql", "-X", "-A", "-t", "-F", "\x1f", db, "-c",
                              f"SELECT status, decision, note, resolved_by FROM conflicts WHERE id = {int(conflict_id)}"],
                             check=True, capture_output=True, text=True).stdout.rstrip("\n")
        values = [None if v == "" else v for v in out.split("\x1f")]
        return dict(zip(["status", "decision", "note", "resolved_by"], values))
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute("SELECT status, decision, note, resolved_by FROM conflicts WHERE id = ?", (conflict_id,)).fetchone()


def browser(args):
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1366,900", "--lang=zh-CN", "--force-device-scale-factor=1"):
        options.add_argument(flag)
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    # An explicit driver: Selenium Manager must not try to download one.
    return webdriver.Chrome(service=Service(executable_path=driver_path), options=options)


def screenshot(driver, path):
    """The whole page at laptop width (1366 px), not only the part in the window."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 8000), "scale": 1}})
    with open(path, "wb") as file:
        file.write(base64.b64decode(shot["data"]))
    print(f"  screenshot {os.path.abspath(path)}", flush=True)


def sign_in(driver, name, token):
    driver.find_element(By.NAME, "name").clear()
    driver.find_element(By.NAME, "name").send_keys(name)
    driver.find_element(By.NAME, "token").send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()


def flash(driver):
    return " ".join(e.text for e in driver.find_elements(By.CSS_SELECTOR, ".flash"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--reviewer", required=True)
    parser.add_argument("--reviewer-token", required=True)
    parser.add_argument("--bureau-token", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--conflict", type=int, required=True, help="decided on its page: take the bureau's value")
    parser.add_argument("--bulk", default="", help="comma-separated ids decided in bulk: keep the province's value")
    parser.add_argument("--forged", type=int, required=True, help="an open conflict a forged form must not change")
    parser.add_argument("--artefacts", required=True)
    args = parser.parse_args()
    os.makedirs(args.artefacts, exist_ok=True)
    url = args.url.rstrip("/")
    bulk = [int(x) for x in args.bulk.split(",") if x]

    driver = browser(args)
    driver.implicitly_wait(3)  # find_element waits for the next page's elements
    try:
        print("the pages show nothing without a login", flush=True)
        driver.get(url + "/review")
        check(lambda: "/review/login" in driver.current_url, f"/review redirects to the login page ({driver.current_url})")
        check("审核员登录" in driver.page_source and "待审核冲突" not in driver.page_source, "the login page shows no queue data")
        driver.get(f"{url}/review/conflicts/{args.conflict}")
        check(lambda: "/review/login" in driver.current_url and "next=" in driver.current_url, "a conflict page redirects to the login page too")

        print("a bureau token cannot sign in", flush=True)
        sign_in(driver, "bureau 410100", args.bureau_token)
        check(lambda: "区局令牌不能登录审核页面" in flash(driver), "the bureau token is refused with a clear message")
        check("/review/login" in driver.current_url, "still on the login page")

        print("the reviewer signs in and lands on the conflict asked for", flush=True)
        sign_in(driver, args.reviewer, args.reviewer_token)
        check(lambda: driver.current_url.endswith(f"/review/conflicts/{args.conflict}"), f"back on the conflict page ({driver.current_url})")
        cookies = {c["name"]: c for c in driver.get_cookies()}
        session = cookies.get("esync_session")
        check(session is not None and session["httpOnly"] and session.get("sameSite") == "Strict",
              "the session cookie is HttpOnly and SameSite=Strict")

        print("the queue: counts per region and kind, filters", flush=True)
        driver.find_element(By.LINK_TEXT, "审核队列").click()
        check(lambda: "审核队列" in driver.find_element(By.TAG_NAME, "h1").text, "the queue's heading")
        summary = driver.find_element(By.CSS_SELECTOR, ".summary").text
        check("郑州市" in summary and "字段冲突" in summary, "counts per region (in Chinese) and per kind")
        rows = driver.find_elements(By.CSS_SELECTOR, "table.queue tbody tr")
        check(len(rows) >= 1 + len(bulk), f"{len(rows)} open conflicts listed")
        check(driver.find_elements(By.LINK_TEXT, f"#{args.conflict}"), f"conflict #{args.conflict} is in the table")
        Select(driver.find_element(By.NAME, "kind")).select_by_value("field")
        Select(driver.find_element(By.NAME, "region")).select_by_value("410100")
        driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
        check(lambda: "kind=field" in driver.current_url and "region=410100" in driver.current_url, "filters are a GET query")
        filtered = driver.find_elements(By.CSS_SELECTOR, "table.queue tbody tr")
        check(filtered and all("字段冲突" in r.text for r in filtered), "the filtered table lists field conflicts only")
        screenshot(driver, os.path.join(args.artefacts, "review-queue.png"))

        print("a conflict: the values side by side, the provenances, the field's history", flush=True)
        driver.find_element(By.LINK_TEXT, f"#{args.conflict}").click()
        sides = driver.find_element(By.CSS_SELECTOR, ".sides").text
        check("省厅现值" in sides and "区局提交值" in sides and "区局修改前的值" in sides, "three values side by side")
        check("变更集" in sides and "来源" in sides, "both provenances: who, change set, when")
        history = driver.find_elements(By.CSS_SELECTOR, "table tbody tr")
        check(len(history) >= 2, f"the field's history has {len(history)} revisions")
        screenshot(driver, os.path.join(args.artefacts, "review-conflict.png"))

        print("a slip (no new value): the page says why and keeps the note", flush=True)
        typed = driver.find_element(By.NAME, "value").get_attribute("value")
        check(typed and not typed.startswith('"') and typed in sides, "the new value box holds the bureau's value as text, without JSON quotes")
        driver.find_element(By.NAME, "note").send_keys("核实营业执照，采用区局名称（浏览器测试）")
        driver.find_element(By.NAME, "value").clear()
        driver.find_element(By.CSS_SELECTOR, "button[name=decision][value=value]").click()
        check(lambda: "请填写新值" in flash(driver), "an empty new value is explained on the page")
        check(driver.find_element(By.NAME, "note").get_attribute("value") == "核实营业执照，采用区局名称（浏览器测试）",
              "and the note typed is still in the form")
        screenshot(driver, os.path.join(args.artefacts, "review-value-error.png"))

        print("take the bureau's value, with the note kept", flush=True)
        driver.find_element(By.CSS_SELECTOR, "button[name=decision][value=take-incoming]").click()
        check(lambda: driver.current_url.rstrip("/").endswith("/review"), "the decision answers with the queue")
        check(lambda: f"冲突 #{args.conflict} 已决定" in flash(driver), "and a message saying what was decided")
        row = conflict_row(args.db, args.conflict)
        check(row["status"] == "resolved" and row["decision"] == "take-incoming", f"the database has the decision ({dict(row)})")
        check(row["note"] == "核实营业执照，采用区局名称（浏览器测试）" and row["resolved_by"] == f"reviewer:{args.reviewer}",
              "with the note and the reviewer")
        driver.find_element(By.LINK_TEXT, f"#{args.forged}")  # still listed
        check(not driver.find_elements(By.LINK_TEXT, f"#{args.conflict}"), "the decided conflict left the open queue")

        if bulk:
            print("decide several in bulk", flush=True)
            for conflict_id in bulk:
                driver.find_element(By.CSS_SELECTOR, f"input[type=checkbox][name=id][value='{conflict_id}']").click()
            driver.find_element(By.NAME, "note").send_keys("批量保留省厅值")
            driver.find_element(By.CSS_SELECTOR, "button[name=decision][value=keep-current]").click()
            check(lambda: f"已批量处理 {len(bulk)} 条冲突" in flash(driver), "the bulk decision says how many were decided")
            for conflict_id in bulk:
                row = conflict_row(args.db, conflict_id)
                check(row["status"] == "resolved" and row["decision"] == "keep-current" and row["note"] == "批量保留省厅值",
                      f"conflict {conflict_id} kept the province's value")

        print("a form with a forged CSRF token changes nothing", flush=True)
        driver.get(f"{url}/review/conflicts/{args.forged}")
        driver.execute_script("document.querySelector('form[action$=resolve] input[name=csrf]').value = 'forged'")
        driver.find_element(By.CSS_SELECTOR, "button[name=decision][value=take-incoming]").click()
        check(lambda: "表单已失效" in driver.page_source, "the forged form is refused")
        check(conflict_row(args.db, args.forged)["status"] == "open", "and the conflict is still open")

        print("regions page", flush=True)
        driver.get(url + "/review/regions")
        table = driver.find_element(By.TAG_NAME, "table").text
        check("郑州市" in table and "滞后" in table and "济源市" in table, "every region, the quiet ones marked stale")
        screenshot(driver, os.path.join(args.artefacts, "review-regions.png"))

        print("sign out", flush=True)
        driver.find_element(By.CSS_SELECTOR, "header form button").click()
        check(lambda: "已退出登录" in flash(driver), "signed out")
        driver.get(url + "/review")
        check(lambda: "/review/login" in driver.current_url, "the queue asks for a login again")
    except Exception as error:  # noqa: BLE001 - any failure ends the test with the page it happened on
        path = os.path.join(args.artefacts, "review-failure.png")
        try:
            driver.save_screenshot(path)
            print(f"  screenshot of the failure: {os.path.abspath(path)}", flush=True)
            print(f"  at {driver.current_url}", flush=True)
        except Exception:  # noqa: BLE001
            pass
        print(f"FAILED: {error}", flush=True)
        print(f"browser checks: {checks} ok, then a failure")
        return 1
    finally:
        driver.quit()
    print(f"browser checks: {checks} ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
