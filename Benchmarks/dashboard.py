#!/usr/bin/env python3
"""Dashboard first load in headless Chromium (run through Benchmarks/dashboard.sh).

A release botvisord with BOTS bots (ingest-bench workers: the real IPC handshake, no Discord) serves the
dashboard. Chromium (Selenium, the browser cache disabled through the DevTools protocol, so every load
is a first load) opens it RUNS times signed in, and once before signing in. Per load, from the browser's
own clocks (Navigation Timing, Resource Timing, Paint Timing; ms from the start of the navigation):
  - first contentful paint, DOMContentLoaded, and "fleet rendered": when the fleet table holds a row per
    bot (a MutationObserver added before the page's own script runs);
  - bytes: the page, its stylesheet and script (transferred, i.e. headers and body), and the API calls
    the page makes to show the fleet (the WebSocket is not counted).
Usage: Benchmarks/dashboard.py BIN_DIR [RUNS] [BOTS]"""
import subprocess, sys, tempfile
from benchlib import add_bots, admin_token, http_port, run, start_botvisord, wait
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

BIN = sys.argv[1]
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 10
BOTS = int(sys.argv[3]) if len(sys.argv) > 3 else 10
tmp = tempfile.mkdtemp(prefix="bvdash-")
procs = []

# Runs before the page's own script: notes when the fleet table first has a row per bot.
OBSERVER = """
document.addEventListener("DOMContentLoaded", () => {
  const body = document.querySelector("#fleet-table tbody");
  if (!body) return;
  new MutationObserver(() => {
    if (window.__rendered === undefined && body.children.length >= %d) window.__rendered = performance.now();
  }).observe(body, { childList: true });
});
""" % BOTS

MEASURE = """
const nav = performance.getEntriesByType("navigation")[0];
const paint = performance.getEntriesByType("paint").find((p) => p.name === "first-contentful-paint");
return { nav: { transfer: nav.transferSize, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, response: nav.responseEnd },
         fcp: paint ? paint.startTime : null, rendered: window.__rendered === undefined ? null : window.__rendered,
         resources: performance.getEntriesByType("resource").map((r) => ({ name: new URL(r.name).pathname, type: r.initiatorType,
                                                                            transfer: r.transferSize, body: r.decodedBodySize })) };
"""


def median(values):
    s = sorted(values)
    return s[len(s) // 2]


def main():
    _, ctl = start_botvisord(BIN, tmp, procs, "[http]\nlisten = 127.0.0.1:0\n[discord]\napi_base = http://127.0.0.1:1/api/v10\n"
                                  "[limits]\nenabled = no\n[logs]\nlevel = warning\n")
    token = admin_token(ctl, role="viewer", name="dashboard")
    add_bots(ctl, tmp, [f"bot{i:02d}" for i in range(BOTS)])
    port = http_port(tmp)
    wait(lambda: subprocess.run(ctl + ["status"], capture_output=True, text=True).stdout.count(" ready") >= BOTS, what="bots ready")
    url = f"http://127.0.0.1:{port}/"

    options = Options()
    options.binary_location = next(p for p in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] if subprocess.run(["test", "-x", p]).returncode == 0)
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,720"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVER})
        until = WebDriverWait(driver, 60, poll_frequency=0.02).until
        load = open("/proc/loadavg").read().split()[:3]

        driver.get(url)
        until(lambda d: d.find_element("id", "login").is_displayed())
        until(lambda d: d.execute_script("return performance.getEntriesByType('navigation')[0].loadEventEnd > 0"))
        signin = driver.execute_script(MEASURE)
        driver.execute_script("sessionStorage.setItem('botvisor.token', arguments[0])", token)

        loads = []
        for _ in range(RUNS):
            driver.refresh()
            until(lambda d: d.execute_script("return window.__rendered !== undefined && document.readyState === 'complete'"))
            loads.append(driver.execute_script(MEASURE))
    finally:
        driver.quit()

    def static_bytes(m):
        return sum(r["transfer"] for r in m["resources"] if r["name"].startswith("/assets/")) + m["nav"]["transfer"]

    def api_bytes(m):
        return sum(r["transfer"] for r in m["resources"] if r["name"].startswith("/api/"))

    print(f"load average: {' '.join(load)}; {BOTS} bots; {RUNS} signed-in loads, cache disabled")
    print("sign-in page (no token): "
          f"{static_bytes(signin)} bytes (page, CSS, JS: {', '.join(str(r['transfer']) for r in signin['resources'] if r['name'].startswith('/assets/'))}"
          f" + page {signin['nav']['transfer']}); first contentful paint {signin['fcp']:.0f} ms, DOMContentLoaded {signin['nav']['dcl']:.0f} ms")
    m = loads[-1]
    print(f"signed in: static {static_bytes(m)} bytes, API {api_bytes(m)} bytes in "
          f"{sum(1 for r in m['resources'] if r['name'].startswith('/api/'))} calls "
          f"({', '.join(sorted(set(r['name'] for r in m['resources'] if r['name'].startswith('/api/'))))})")
    for name, key in [("first contentful paint", lambda m: m["fcp"]), ("DOMContentLoaded", lambda m: m["nav"]["dcl"]),
                      ("fleet rendered", lambda m: m["rendered"]), ("load event", lambda m: m["nav"]["load"])]:
        # Chromium does not always report a paint entry for a reload it had painted the same way before.
        values = [v for v in (key(m) for m in loads) if v is not None]
        if values:
            print(f"{name}: median {median(values):.0f} ms, min {min(values):.0f}, max {max(values):.0f} ({len(values)} of {len(loads)} loads)")


run(main, procs, tmp)
