#!/usr/bin/env python3
"""Drive headless Chromium through `rocklet console` (issue 18): one run against one cluster.

  browser_test.py --console URL --namesrv ADDR --broker-addr ADDR --rocklet BIN --work DIR
                  [--shots DIR] [--messages N]

Started by interop/browser.sh (which installs Chromium, chromedriver and Selenium, and starts the
servers and the console). Every step reads the page the browser shows and asserts on its text or
elements; a step fails loudly with what the page said. Steps on pages the console does not have
yet (`/send`, `/messages`, `/message`, `/dlq`, `/producers`, the TPS chart, `/login`) print a SKIP
line when the page answers 404, so the same test runs against the first slice and the second.

Prints `STEP name (Ns) - detail`, `SKIP name: reason`, and at the end one line
`RESULT ok|fail <passed>/<ran> steps ...: <names>; skipped: <names>` for browser.sh; exit 0 when every step that
ran passed. Screenshots (1280x800 PNG) of each page go to --shots as NN-name.png.
"""
import argparse
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait


class StepFailed(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, what):
    if not cond:
        raise StepFailed(what)


def http_status(url, data=None):
    """The status a plain GET (or form POST) answers, redirects not followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, data=data, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


class Console:
    def __init__(self, args):
        self.a = args
        self.base = args.console.rstrip("/")
        opts = webdriver.ChromeOptions()
        opts.binary_location = args.chromium
        for o in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                  "--window-size=1280,800", "--no-first-run", "--disable-extensions",
                  f"--user-data-dir={os.path.join(args.work, 'chromium-profile')}"):
            opts.add_argument(o)
        self.d = webdriver.Chrome(service=Service(args.chromedriver,
                                                  log_output=os.path.join(args.work, "chromedriver.log")),
                                  options=opts)
        # the screenshots are exactly 1280x800 whatever the headless window's decorations
        self.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
        self.d.set_page_load_timeout(30)
        self.shot_no = 0

    def close(self):
        try:
            self.d.quit()
        except WebDriverException:
            pass

    def get(self, path):
        self.d.get(self.base + path)
        return self.d

    def path(self):
        return urllib.parse.urlsplit(self.d.current_url).path

    def query(self):
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.d.current_url).query))

    def h1(self):
        try:
            return self.d.find_element(By.TAG_NAME, "h1").text.strip()
        except NoSuchElementException:
            return ""

    def body_text(self):
        return self.d.find_element(By.TAG_NAME, "body").text

    def page_error(self):
        """The console's error box, if the page is one (for failure messages)."""
        errs = self.d.find_elements(By.CSS_SELECTOR, "div.err")
        return errs[0].text.strip() if errs else ""

    def expect_h1(self, want):
        got = self.h1()
        check(got == want, f"page {self.path()} has heading [{got}], expected [{want}]"
              + (f"; error: {self.page_error()}" if self.page_error() else ""))

    def shot(self, name):
        if not self.a.shots:
            return
        path = os.path.join(self.a.shots, f"{name}.png")
        self.d.save_screenshot(path)

    def table_rows(self, table):
        """Rows of a table element as lists of cell texts (header row left out)."""
        rows = []
        for tr in table.find_elements(By.TAG_NAME, "tr"):
            tds = tr.find_elements(By.TAG_NAME, "td")
            if tds:
                rows.append([td.text.strip() for td in tds])
        return rows

    def table_after(self, heading):
        """The first table after the <h2> whose text is `heading`."""
        return self.d.find_element(By.XPATH, f"//h2[normalize-space()='{heading}']/following-sibling::table[1]")

    def absent(self, path):
        """True when the console has no such page (404 to a plain GET)."""
        return http_status(self.base + path) == 404


def click_nav(c, el):
    """Click `el` and wait until the browser has left the page (a form POST and its redirect)."""
    old = c.d.find_element(By.TAG_NAME, "html")
    el.click()
    WebDriverWait(c.d, 30).until(EC.staleness_of(old))
    WebDriverWait(c.d, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")


def submit_nav(c, form):
    old = c.d.find_element(By.TAG_NAME, "html")
    form.submit()
    WebDriverWait(c.d, 30).until(EC.staleness_of(old))
    WebDriverWait(c.d, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")


def fill(form, name, value):
    el = form.find_element(By.NAME, name)
    el.clear()
    el.send_keys(value)


def utc_minute(ms):
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M")


def group_summary(c):
    """(online?, members, lag, per-queue rows) from the group page."""
    summary = c.d.find_element(By.XPATH, "//h1/following-sibling::p[1]").text
    m = re.search(r"\b(online|offline)\b.*?(\d+) member\(s\).*?\blag (-?\d+)", summary)
    check(m, f"group page summary [{summary}] does not say online/offline, members and lag")
    rows = c.table_rows(c.table_after("Lag per queue"))
    return m.group(1) == "online", int(m.group(2)), int(m.group(3)), rows, summary


def run(args):
    t_all = time.time()
    os.makedirs(args.work, exist_ok=True)
    if args.shots:
        os.makedirs(args.shots, exist_ok=True)
    run_id = time.strftime("%H%M%S")
    topic = f"BrowserTopic_{run_id}"
    key = f"browser-key-{run_id}"
    group = f"browser_cg_{run_id}"
    queues = 4
    steps, skipped, failed = [], [], []
    state = {"sent": 0, "ui_msg_id": None, "console2": False, "producer_group": None}
    consumer = {"p": None}
    t_topic = int(time.time() * 1000)

    c = Console(args)

    def step(name, fn):
        t0 = time.time()
        try:
            detail = fn() or ""
            steps.append(name)
            print(f"STEP {name} ({time.time() - t0:.1f}s){' - ' + detail if detail else ''}", flush=True)
            return True
        except Skip as e:
            skipped.append(name)
            print(f"SKIP {name}: {e}", flush=True)
            return True
        except Exception as e:  # noqa: BLE001 - any error fails the step, with what the page showed
            failed.append(name)
            msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            print(f"FAIL {name}: {msg} (url {c.d.current_url}) ({time.time() - t0:.1f}s)", flush=True)
            try:
                c.d.save_screenshot(os.path.join(args.work, f"fail-{name}.png"))
                with open(os.path.join(args.work, f"fail-{name}.html"), "w", encoding="utf-8") as f:
                    f.write(c.d.page_source)
            except WebDriverException:
                pass
            if not isinstance(e, StepFailed):
                traceback.print_exc(file=sys.stderr)
            return False

    # ---------------- overview ----------------
    def overview():
        c.get("/")
        c.expect_h1("Cluster")
        check("authentication is off" in c.body_text(),
              "the overview (console started without a login) does not warn that authentication is off")
        rows = []
        for t in c.d.find_elements(By.TAG_NAME, "table"):
            rows += c.table_rows(t)
        addrs = [r[2] for r in rows if len(r) > 2]
        check(args.broker_addr in addrs,
              f"broker {args.broker_addr} not in the overview's broker table (addresses: {addrs})")
        row = next(r for r in rows if len(r) > 2 and r[2] == args.broker_addr)
        check(row[3] != "", f"the broker row has no version: {row}")
        c.shot("01-overview")
        return f"broker {row[0]} at {row[2]} version {row[3]}"

    # ---------------- topics: create through the form ----------------
    def create_topic():
        c.get("/topics")
        c.expect_h1("Topics")
        form = c.d.find_element(By.XPATH, "//form[@action='/topics']")
        fill(form, "topic", topic)
        fill(form, "readQueueNums", str(queues))
        fill(form, "writeQueueNums", str(queues))
        opts = [o.text for o in form.find_elements(By.CSS_SELECTOR, "select[name=cluster] option")]
        check(opts, "the create form offers no cluster")
        c.shot("02-topics")
        click_nav(c, form.find_element(By.TAG_NAME, "button"))
        check(c.path() == f"/topic/{topic}", f"after create the browser is at {c.path()}, not /topic/{topic}"
              + (f"; error: {c.page_error()}" if c.page_error() else ""))
        c.expect_h1(f"Topic {topic}")
        route = c.table_rows(c.table_after("Route"))
        check(route and route[0][3] == str(queues) and route[0][4] == str(queues),
              f"route table does not show {queues}/{queues} queues: {route}")
        qrows = c.table_rows(c.table_after("Queues"))
        check(len(qrows) == queues, f"queue table has {len(qrows)} rows, expected {queues}")
        c.get("/topics")
        links = [a.text for a in c.d.find_elements(By.XPATH, "//table//a")]
        check(topic in links, f"{topic} not listed on /topics")
        return f"{topic} on cluster {opts[0]}, {len(qrows)} queues"

    # ---------------- messages: send with the CLI (the group's lag needs them) ----------------
    def send_cli():
        out = subprocess.run([args.rocklet, "send", "-n", args.namesrv, "-t", topic, "-k", key,
                              "--tags", "TagB", "-b", f"browser body {run_id}", "-c", str(args.messages)],
                             capture_output=True, text=True, timeout=60, env=dict(os.environ, RUST_LOG="warn"))
        check(out.returncode == 0, f"rocklet send exited {out.returncode}: {out.stderr.strip()[-300:]}")
        state["sent"] += args.messages
        c.get(f"/topic/{topic}")
        stored = re.search(r"(\d+) messages stored", c.body_text())
        check(stored and int(stored.group(1)) == state["sent"],
              f"topic page says [{stored.group(0) if stored else 'no count'}], expected {state['sent']} messages stored")
        c.shot("03-topic")
        return f"{args.messages} messages with key {key}; topic page: {stored.group(0)}"

    # ---------------- send through the UI (console2) ----------------
    def send_ui():
        if c.absent(f"/send?topic={topic}"):
            raise Skip("/send answers 404 (send page not in this console yet)")
        state["console2"] = True
        c.get(f"/send?topic={urllib.parse.quote(topic)}")
        form = c.d.find_element(By.XPATH, "//form[.//*[@id='send-submit']]")
        fill(form, "topic", topic)
        fill(form, "tag", "TagA")
        fill(form, "keys", key)
        fill(form, "body", f"sent from the browser {run_id}")
        m = re.search(r"producer group ([A-Za-z0-9_%|-]+)", form.text)
        state["producer_group"] = m.group(1) if m else None
        c.shot("04-send")
        click_nav(c, c.d.find_element(By.ID, "send-submit"))
        check(c.path() == "/message", f"after send the browser is at {c.path()}, not /message"
              + (f"; error: {c.page_error()}" if c.page_error() else ""))
        q = c.query()
        check(q.get("topic") == topic and q.get("id"), f"message page query {q} lacks topic={topic} and id")
        shown = c.d.find_element(By.ID, "msg-id").text.strip()
        check(shown == q["id"], f"msg-id shows [{shown}], the redirect named [{q['id']}]")
        props = c.table_rows(c.d.find_element(By.ID, "properties"))
        flat = " ".join(" ".join(r) for r in props)
        check(key in flat and "TagA" in flat, f"properties table lacks key {key} / tag TagA: {props}")
        state["sent"] += 1
        state["ui_msg_id"] = q["id"]
        c.shot("05-message")
        return f"message {q['id']}"

    # ---------------- search by key (console2) ----------------
    def search_key():
        if c.absent(f"/messages?topic={urllib.parse.quote(topic)}&key={urllib.parse.quote(key)}"):
            raise Skip("/messages answers 404 (message search not in this console yet)")
        state["console2"] = True
        c.get("/messages")
        form = c.d.find_element(By.XPATH, "//form[.//*[@name='key']]")
        for f in ("topic", "key", "begin", "end"):
            check(form.find_elements(By.NAME, f), f"the search form has no field [{f}]")
        fill(form, "topic", topic)
        fill(form, "key", key)
        want = state["sent"]
        rows, deadline = [], time.time() + 20
        while True:  # the brokers index keys shortly after the store (Java: the reput thread)
            submit_nav(c, form)
            rows = c.table_rows(c.d.find_element(By.ID, "messages"))
            if len(rows) >= want or time.time() > deadline:
                break
            time.sleep(1)
            c.get(f"/messages")
            form = c.d.find_element(By.XPATH, "//form[.//*[@name='key']]")
            fill(form, "topic", topic)
            fill(form, "key", key)
        check(len(rows) == want, f"search by key {key} found {len(rows)} rows, expected {want}")
        c.shot("06-messages")
        links = c.d.find_elements(By.CSS_SELECTOR, "#messages a[href*='/message']")
        check(len(links) >= 1, "no row links to a message page")
        target = None
        if state["ui_msg_id"]:
            target = next((a for a in links if state["ui_msg_id"] in a.get_attribute("href")), None)
            check(target is not None, f"the message sent from the UI ({state['ui_msg_id']}) is not among the results")
        target = target or links[0]
        href = target.get_attribute("href")
        click_nav(c, target)
        check(c.path() == "/message", f"the result link led to {c.path()}")
        shown = c.d.find_element(By.ID, "msg-id").text.strip()
        check(shown and shown in href, f"message page shows [{shown}], the link was {href}")
        body = c.body_text()
        check(key in body, f"message page does not show the key {key}")
        return f"{len(rows)} messages by key, opened {shown}"

    # ---------------- consume: the lag falls to 0 on the group page ----------------
    def consume():
        log = open(os.path.join(args.work, "consumer.log"), "w")
        consumer["p"] = subprocess.Popen(
            [args.rocklet, "consume", "-n", args.namesrv, "-t", topic, "-g", group, "--from", "first"],
            stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, RUST_LOG="warn"))
        deadline = time.time() + 45
        last = None
        while time.time() < deadline:
            check(consumer["p"].poll() is None, f"rocklet consume exited {consumer['p'].returncode}")
            if c.absent(f"/group/{group}"):
                last = "group page 404"
            else:
                c.get(f"/group/{group}")
                if c.h1() == f"Consumer group {group}":
                    online, members, lag, rows, summary = group_summary(c)
                    last = summary
                    mine = [r for r in rows if r[0] == topic]
                    if online and members == 1 and lag == 0 and len(mine) == queues:
                        broker_total = sum(int(r[3]) for r in mine)
                        check(broker_total == state["sent"],
                              f"broker offsets add up to {broker_total}, {state['sent']} were sent")
                        check(all(r[5] == "0" for r in mine), f"a queue has a diff: {mine}")
                        c.shot("08-group")
                        return f"{summary} ({state['sent']} consumed)"
            time.sleep(1)
        raise StepFailed(f"lag did not reach 0 with the consumer online in 45 s; last: {last}")

    def stop_consumer():
        p = consumer["p"]
        check(p is not None, "no consumer to stop")
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            raise StepFailed("rocklet consume ignored SIGTERM for 20 s")
        with open(os.path.join(args.work, "consumer.log"), errors="replace") as f:
            lines = [l for l in f if l.strip()]
        deadline = time.time() + 40
        last = None
        while time.time() < deadline:
            c.get(f"/group/{group}")
            online, members, lag, rows, summary = group_summary(c)
            last = summary
            if not online and members == 0:
                check(lag == 0, f"the consumer left with lag {lag}")
                return f"{summary}; the consumer printed {len(lines)} lines"
            time.sleep(1)
        raise StepFailed(f"the group is still online 40 s after its only consumer stopped: {last}")

    # ---------------- reset by time through the form: the lag comes back ----------------
    def reset():
        c.get(f"/group/{group}")
        form = c.d.find_element(By.XPATH, "//form[contains(@action,'/reset')]")
        fill(form, "topic", topic)
        when = utc_minute(t_topic - 60_000)  # a minute before the topic existed: every message
        fill(form, "time", when)
        click_nav(c, form.find_element(By.TAG_NAME, "button"))
        c.expect_h1("Offsets reset")
        text = c.body_text()
        check("no member online" in text, f"reset page does not say the console committed the offsets: {text[:300]}")
        rows = c.table_rows(c.d.find_element(By.TAG_NAME, "table"))
        check(len(rows) == queues, f"reset table has {len(rows)} rows, expected {queues}")
        check(all(r[2] == "0" for r in rows), f"offsets after a reset to {when}: {rows}, expected 0 each")
        c.shot("09-reset")
        c.get(f"/group/{group}")
        online, members, lag, rows, summary = group_summary(c)
        check(lag == state["sent"], f"after the reset the group page says lag {lag}, expected {state['sent']}")
        diffs = sum(int(r[5]) for r in rows if r[0] == topic)
        check(diffs == lag, f"per-queue diffs add up to {diffs}, the summary says {lag}")
        c.shot("10-group-reset")
        return f"reset to {when} UTC: lag {lag} again"

    # ---------------- the group's subscription config through the form ----------------
    def group_config():
        c.get(f"/group/{group}")
        tables = c.d.find_elements(By.ID, "group-config")
        if not tables:
            raise Skip("group page has no #group-config (not in this console yet)")
        form = c.d.find_element(By.XPATH, "//form[contains(@action,'/config')]")
        fill(form, "retryMaxTimes", "7")
        click_nav(c, form.find_element(By.ID, "group-config-submit"))
        rows = c.table_rows(c.d.find_element(By.ID, "group-config"))
        check(rows, "the group page shows no subscription group config after the update")
        check(all(r[4] == "7" for r in rows), f"retryMaxTimes after the update: {rows}, expected 7 on every master")
        c.shot("14-group-config")
        return f"retryMaxTimes 7 on {len(rows)} master(s)"

    # ---------------- console2 extras ----------------
    def tps_chart():
        c.get(f"/topic/{topic}")
        charts = c.d.find_elements(By.ID, "tps-chart")
        if not charts:
            if not state["console2"]:
                raise Skip("topic page has no #tps-chart (not in this console yet)")
            raise StepFailed("the console has /send but the topic page has no svg#tps-chart")
        tag = charts[0].tag_name.lower()
        check(tag == "svg", f"#tps-chart is a <{tag}>, not an <svg>")
        # the inline script polls the TPS API and redraws: wait for its figures and a line of
        # two points (two polls)
        try:
            WebDriverWait(c.d, 10).until(
                lambda d: re.fullmatch(r"\d+(\.\d+)?", d.find_element(By.ID, "tps-put").text.strip())
                and len(d.find_element(By.ID, "tps-put-line").get_attribute("points").split()) >= 2)
        except TimeoutException:
            raise StepFailed("the chart's script did not draw two points in 10 s: #tps-put shows "
                             f"[{c.d.find_element(By.ID, 'tps-put').text}], the put line has points "
                             f"[{c.d.find_element(By.ID, 'tps-put-line').get_attribute('points')}]")
        put = c.d.find_element(By.ID, "tps-put").text.strip()
        get = c.d.find_element(By.ID, "tps-get").text.strip()
        points = len(c.d.find_element(By.ID, "tps-put-line").get_attribute("points").split())
        errors = [l for l in c.d.get_log("browser")
                  if l.get("level") == "SEVERE" and l.get("source") in ("javascript", "console-api")]
        check(not errors, f"the page's script logged errors: {errors[:2]}")
        c.shot("07-topic-tps")
        return f"svg#tps-chart drawn by its script: put {put}/s, get {get}/s, {points} point(s)"

    def dlq_producers():
        dlq = f"/dlq?group={urllib.parse.quote(group)}"
        # the console's own producer (it sent the UI message) is a live connection of its group
        pg = state["producer_group"] or "rocklet_cli_producer"
        prod = f"/producers?topic={urllib.parse.quote(topic)}&group={urllib.parse.quote(pg)}"
        if c.absent(dlq) and c.absent(prod):
            raise Skip("/dlq and /producers answer 404 (not in this console yet)")
        check(not c.absent(dlq), "/dlq answers 404")
        c.get(dlq)
        check(not c.page_error(), f"{dlq} shows an error: {c.page_error()}")
        shown = c.d.find_element(By.XPATH, "//form[@action='/dlq']//*[@name='group']").get_attribute("value")
        check(shown == group, f"the DLQ form shows group [{shown}], not {group}")
        c.shot("11-dlq")
        check(not c.absent(prod), "/producers answers 404")
        c.get(prod)
        check(not c.page_error(), f"{prod} shows an error: {c.page_error()}")
        rows = c.table_rows(c.d.find_element(By.ID, "producers"))
        if state["producer_group"]:
            check(rows, f"no connection listed for the console's producer group {pg}")
        c.shot("12-producers")
        return f"/dlq form for {group}; /producers: {len(rows)} connection(s) of {pg}"

    def login():
        help_text = subprocess.run([args.rocklet, "console", "--help"], capture_output=True, text=True).stdout
        if "--user" not in help_text:
            raise Skip("rocklet console has no --user/--password (login not in this console yet)")
        log = open(os.path.join(args.work, "console-login.log"), "w")
        p = subprocess.Popen([args.rocklet, "console", "-n", args.namesrv, "--port", "0",
                              "--user", "admin", "--password", "s3cret-" + run_id],
                             stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            line = p.stdout.readline()
            m = re.search(r"http://(\S+)", line)
            check(m, f"the console with a login printed [{line.strip()}]")
            base = "http://" + m.group(1)
            c.d.delete_all_cookies()
            c.d.get(base + "/topics")
            check(urllib.parse.urlsplit(c.d.current_url).path == "/login",
                  f"an anonymous /topics went to {c.d.current_url}, not /login")
            form = c.d.find_element(By.XPATH, "//form[.//*[@id='login-submit']]")
            fill(form, "username", "admin")
            fill(form, "password", "wrong")
            click_nav(c, c.d.find_element(By.ID, "login-submit"))
            check(urllib.parse.urlsplit(c.d.current_url).path == "/login",
                  f"a wrong password led to {c.d.current_url}")
            check(c.page_error() or c.d.find_elements(By.ID, "login-error"),
                  "the login page says nothing about the wrong password")
            c.shot("13-login")
            form = c.d.find_element(By.XPATH, "//form[.//*[@id='login-submit']]")
            fill(form, "username", "admin")
            fill(form, "password", "s3cret-" + run_id)
            click_nav(c, c.d.find_element(By.ID, "login-submit"))
            check(urllib.parse.urlsplit(c.d.current_url).path != "/login",
                  "the right password stayed on /login")
            c.d.get(base + "/topics")
            check(c.h1() == "Topics", f"after login /topics shows [{c.h1()}]")
            check(http_status(base + "/api/topics") in (302, 303, 401, 403),
                  "the API answers without the session cookie")
            return "wrong password refused, right one let in, API closed without the cookie"
        finally:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()

    try:
        ok = step("overview", overview)
        ok = ok and step("create-topic", create_topic)
        ok = ok and step("send-cli", send_cli)
        if ok:
            step("send-ui", send_ui)
            step("search-key", search_key)
            step("tps-chart", tps_chart)
        ok = ok and step("consume-lag-0", consume)
        ok = ok and step("consumer-offline", stop_consumer)
        ok = ok and step("reset-by-time", reset)
        if ok:
            step("group-config", group_config)
            step("dlq-producers", dlq_producers)
        step("login", login)
    finally:
        if consumer["p"] and consumer["p"].poll() is None:
            consumer["p"].kill()
        c.close()
    total = len(steps) + len(failed)
    status = "ok" if not failed and "reset-by-time" in steps else "fail"
    print(f"RESULT {status} {len(steps)}/{total} steps in {time.time() - t_all:.0f}s: {', '.join(steps)}"
          f"{'; failed: ' + ', '.join(failed) if failed else ''}"
          f"{'; skipped (page not in this console): ' + ', '.join(skipped) if skipped else ''}", flush=True)
    return 0 if status == "ok" else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--console", required=True)
    ap.add_argument("--namesrv", required=True)
    ap.add_argument("--broker-addr", required=True)
    ap.add_argument("--rocklet", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--shots", default="")
    ap.add_argument("--messages", type=int, default=5)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    sys.exit(run(ap.parse_args()))


if __name__ == "__main__":
    main()
