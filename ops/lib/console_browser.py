"""The console stage's browser: headless Debian chromium driven by Playwright.

Reads the stores itself (SQL through the mariadb client, reward-admin's JSON), never through the
console's code, and checks that the page shows the same figures. Settings come from environment
variables set by ops/lib/console.sh. Exits non-zero with every failed check listed.
"""
import json
import os
import re
import subprocess
import sys
import threading
import time

from playwright.sync_api import sync_playwright

URL = os.environ["CONSOLE_URL"]
OPERATOR = os.environ["CONSOLE_OPERATOR"]
TOKEN = os.environ["CONSOLE_TOKEN"]
ADMIN = os.environ["CONSOLE_ADMIN"]
WORK = os.environ["CONSOLE_WORK"]
SAMPLE = os.environ["REWARD_CONSOLE_LAG_SAMPLE"]
WINDOW = os.environ["REWARD_CONSOLE_CREDIT_WINDOW_SECONDS"]
HOSTILE_ID = os.environ["CONSOLE_HOSTILE_ID"]
CONSUMER_LOG = os.environ["CONSOLE_CONSUMER_LOG"]
SOCKET = os.environ["REWARD_TEST_MARIADB_SOCKET"]
DATABASE = os.environ["REWARD_DB_NAME"]

failures = []
passed = 0


def check(condition, what):
    global passed
    if condition:
        passed += 1
    else:
        failures.append(what)
        print(f"console: FAILED: {what}", file=sys.stderr)


def sql(query):
    out = subprocess.run(["mariadb", "--no-defaults", f"--socket={SOCKET}", "-uroot", "--batch", "-N", DATABASE, "-e", query],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def admin_json(*arguments):
    return json.loads(subprocess.run([ADMIN, *arguments, "--json"], check=True, capture_output=True, text=True).stdout)


def figures(page, name):
    """{data-key: text} of every element with data-figure=name."""
    return dict(page.eval_on_selector_all(f'[data-figure="{name}"]', "els => els.map(e => [e.dataset.key, e.textContent.trim()])"))


def compare(page, name, expected):
    shown = figures(page, name)
    check(shown == expected, f"{name}: page shows {shown}, stores say {expected}")


def refused_without_a_session(context):
    answer = context.request.get(f"{URL}/", max_redirects=0)
    check(answer.status == 303 and answer.headers.get("location") == "/signin",
          f"GET / without a session answers {answer.status} {answer.headers.get('location')}, not 303 to /signin")
    answer = context.request.get(f"{URL}/dead-letters/{HOSTILE_ID}", max_redirects=0)
    check(answer.status == 303, f"GET a dead letter without a session answers {answer.status}, not 303")
    answer = context.request.post(f"{URL}/signout", form={"csrf": "0" * 64}, max_redirects=0)
    check(answer.status == 401, f"POST /signout without a session answers {answer.status}, not 401")


def sign_in(page):
    page.goto(f"{URL}/")
    check(page.url == f"{URL}/signin", f"the browser was sent to {page.url}, not the sign-in page")
    page.fill("input[name=operator]", OPERATOR)
    page.fill("input[name=token]", "not-the-token-" + "x" * 20)
    page.click("button[type=submit]")
    check("unknown operator or wrong token" in page.content(), "a wrong token was not refused on the page")
    page.fill("input[name=operator]", OPERATOR)
    page.fill("input[name=token]", TOKEN)
    page.click("button[type=submit]")
    check(page.url == f"{URL}/", f"after sign-in the browser is at {page.url}")
    check(page.inner_text('[data-figure="operator"]') == OPERATOR, "the page does not name the signed-in operator")
    cookie = next((c for c in page.context.cookies() if c["name"] == "reward_console_session"), None)
    check(cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Strict",
          f"the session cookie is not HttpOnly and SameSite=Strict: {cookie}")


def figures_match_the_stores(page):
    page.goto(f"{URL}/")
    lag = admin_json("lag", "--by-type", "--sample", SAMPLE, "--window", WINDOW)
    totals = {}
    for row in lag["partitions"]:
        key = f'{row["cluster"]}/{row["lane"]}/{row["rewardType"]}'
        totals[key] = totals.get(key, 0) + row["lag"]
    compare(page, "lag", {key: str(value) for key, value in totals.items()})
    check(sum(v for k, v in totals.items() if k.endswith("/*")) > 0, "no backlog seeded: every lane's lag is 0")
    compare(page, "eta-lag", {f'{e["lane"]}/{e["rewardType"]}': str(e["lag"]) for e in lag["lanes"]})
    compare(page, "eta-rate", {f'{e["lane"]}/{e["rewardType"]}': f'{e["rate"]:.1f}' if e.get("rate") is not None else "-"
                               for e in lag["lanes"]})

    rates = json.load(open("ops/config/rate-limits.json"))["rates"]
    limits = figures(page, "limit")
    check(all(limits.get(t) == f"{r:.0f}" for t, r in rates.items()), f"limits {limits} are not the rate-limits file's {rates}")

    parked = {reason: count for reason, count in sql("SELECT reason_code, COUNT(*) FROM dead_letters WHERE state = 'parked' GROUP BY reason_code")}
    compare(page, "dead-letters", parked)
    check(len(parked) >= 2, f"expected seeded and consumer-parked dead letters, found {parked}")

    budgets = admin_json("budget", "show")
    compare(page, "budget-issued", {f'{b["activityID"]}/{b["rewardType"]}': str(b["issued"]) for b in budgets})
    compare(page, "budget-cap", {f'{b["activityID"]}/{b["rewardType"]}': str(b["cap"]) for b in budgets})

    run, findings = sql("SELECT run_id, findings FROM reconciliation_runs ORDER BY run_id DESC LIMIT 1")[0]
    compare(page, "reconciliation-run", {"last": run})
    compare(page, "reconciliation-findings", {"last": findings})
    compare(page, "finding-kind", dict(sql(f"SELECT finding_id, kind FROM reconciliation_findings WHERE run_id = {run}")))

    live = sql("SELECT COUNT(*) FROM rate_leases WHERE heartbeat_at >= NOW(6) - INTERVAL 3 SECOND")[0][0]
    compare(page, "live-consumers", {"all": live})
    check(int(live) >= 1, "no live consumer lease while a consumer runs")
    daemons = figures(page, "daemon-spool")
    check(daemons == {"consumer-B-cash": "not reported"}, f"the consumer's metrics row says {daemons}")
    compare(page, "spool-depth", {"all": "not reported"})


def hostile_dead_letter_is_text(page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{URL}/")
    page.click(f'a[href="/dead-letters/{HOSTILE_ID}"]')
    check(page.url == f"{URL}/dead-letters/{HOSTILE_ID}", f"the dead letter link led to {page.url}")
    shown = page.inner_text('[data-figure="dl-payload"]')
    check("<script>document.title='owned'</script>" in shown, f"the payload is not shown as text: {shown[:200]}")
    check(page.title() != "owned" and not dialogs, f"the payload ran in the page (title {page.title()}, dialogs {dialogs})")
    check("not an event we can read" in page.inner_text('[data-figure="replay-preview"]'), "no replay preview for the payload")


def switch_applied_by_a_running_consumer(page):
    """Changes a fleet rate through the page (preview, confirm) and times the consumer applying it."""
    page.goto(f"{URL}/")
    before = int(page.inner_text('[data-figure="control-version"]'))
    form = page.locator('form[data-control="rate:cash_red_envelope"]')
    form.locator("input[name=value]").fill("250000")
    form.locator("input[name=reason]").fill("browser test: the wallet asks for less")
    form.locator("button[type=submit]").click()
    check(page.inner_text('[data-figure="confirm-key"]') == "rate:cash_red_envelope", "the confirm page does not show the control")
    check(page.inner_text('[data-figure="confirm-value"]') == "250000/s", "the confirm page does not show the new value")
    check(int(sql("SELECT COALESCE(MAX(version), 0) FROM control_changes")[0][0]) == before, "the preview wrote a change")
    log = open(CONSUMER_LOG, encoding="utf-8", errors="replace")
    log.seek(0, 2)
    version = before + 1
    # The log is watched from a thread of its own while the browser waits for the page after the
    # POST (which reads lag from the brokers and can take seconds): the time a line appears is
    # when the consumer wrote it, not when this script got round to looking.
    seen_at = []

    def watch():
        seen = ""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not seen_at:
            seen += log.read()
            if any("controls applied" in line and re.search(rf"\bversion={version}(?!\d)", line) for line in seen.splitlines()):
                seen_at.append(time.time())
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    page.click("button[data-action=confirm]")
    check(page.inner_text('[data-figure="control-applied"]') == f"change recorded as version {version}",
          "the page does not say the change was recorded")
    watcher.join()
    applied_after = None
    if seen_at:
        # From the change's commit (its recorded time) to the consumer's line.
        committed = float(sql(f"SET time_zone = '+00:00'; SELECT UNIX_TIMESTAMP(changed_at) FROM control_changes "
                              f"WHERE version = {version}")[0][0])
        applied_after = seen_at[0] - committed
    check(applied_after is not None and applied_after <= 2.0,
          f"the running consumer applied version {version} after {applied_after} s (limit 2 s)")
    print(f"console: the consumer applied control version {version} {applied_after:.2f} s after the change was committed"
          if applied_after is not None else "console: the consumer never logged the change")
    by = sql(f"SELECT changed_by FROM control_changes WHERE version = {version}")
    check(by == [[OPERATOR]], f"control_changes records {by} for version {version}, not {OPERATOR}")
    page.goto(f"{URL}/")
    check(figures(page, "control-history-by").get(str(version)) == OPERATOR, "the history on the page does not name the operator")
    check(figures(page, "control").get("rate:cash_red_envelope") == "250000/s", "the switches panel does not show the new rate")
    check(figures(page, "daemon-control-version").get("consumer-B-cash") == str(version),
          "the consumer's scraped reward_control_version is not the new version")


def main():
    started = time.monotonic()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        # A step that throws (a missing element, a timeout) is one failure; the later steps still run.
        for step in (lambda: refused_without_a_session(context), lambda: sign_in(page), lambda: figures_match_the_stores(page),
                     lambda: hostile_dead_letter_is_text(page), lambda: switch_applied_by_a_running_consumer(page)):
            try:
                step()
            except Exception as error:  # noqa: BLE001 - reported as a failed check
                check(False, f"{error}")
        page.goto(f"{URL}/")
        page.screenshot(path=f"{WORK}/console.png", full_page=True)
        browser.close()
    print(f"console: browser checks took {time.monotonic() - started:.1f} s; screenshot {WORK}/console.png")
    print(f"console: {passed} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
