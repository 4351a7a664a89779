import Foundation
import Control
import Glibc
import JSON
import Testing
import TestSupport
@testable import Supervisor

/// The dashboard in a real browser: headless Chromium driven by Selenium (PyPI) against a real botvisord
/// whose workers talk to the Discord simulator. Pages: fleet (live states through a restart), commands (the live
/// feed, untrusted text), bot (SVG charts), jobs. `.ci/run` installs Debian's `chromium` and `chromium-driver`.
@Suite(.serialized, .heavy) struct DashboardBrowserTests {
    static let chromium = ["chromium", "chromium-browser"].map { Peer($0, install: "apt-get install chromium chromium-driver") }.first { $0.isAvailable }
    static let chromedriver = Peer("chromedriver", install: "apt-get install chromium-driver")
    static let selenium = PythonModule("selenium")
    static var browserPresent: Bool { chromium != nil && chromedriver.isAvailable }
    static let missing = Comment(rawValue: "chromium or chromedriver not found: install them with `apt-get install chromium chromium-driver` (or run .ci/run)")

    static let script = #"""
    import json, sys
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, shot, chromium, chromedriver = sys.argv[1:5]

    def need(action):
        print("NEED " + action, flush=True)
        line = sys.stdin.readline().strip()
        assert line.startswith("OK"), line
        return line[3:]

    options = Options()
    options.binary_location = chromium
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,720"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    try:
        wait = WebDriverWait(driver, 90, poll_frequency=0.05)
        driver.get(url)

        # Every route but health needs a token: the page shows its sign-in form, and an operator signs in.
        wait.until(lambda _: driver.find_element(By.ID, "login").is_displayed())
        user, password = need("credentials").split(" ", 1)
        form = driver.find_element(By.ID, "login-form")
        form.find_element(By.NAME, "username").send_keys(user)
        form.find_element(By.NAME, "password").send_keys(password)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

        def state(bot):
            # Read in one script call: the row is re-rendered live, so an element found first may be gone when read.
            return driver.execute_script(
                'const c = document.querySelector(\'#fleet-table tr[data-bot="%s"] .state\'); return c ? c.textContent : null;' % bot)

        # The fleet page shows the bots, and the feed is live.
        wait.until(lambda _: state("alpha") == "ready" and state("beta") == "ready")
        wait.until(lambda _: driver.find_element(By.ID, "feed-status").text == "live")

        # Every state alpha's row shows from now on, and a mark that a reload would wipe.
        driver.execute_script("""
            window.__marker = 42; window.__states = [];
            new MutationObserver(() => {
              const s = document.querySelector('#fleet-table tr[data-bot="alpha"] .state');
              if (s && window.__states[window.__states.length - 1] !== s.textContent) window.__states.push(s.textContent);
            }).observe(document.querySelector('#fleet-table tbody'), { subtree: true, childList: true, characterData: true });
        """)
        need("kill alpha")
        wait.until(lambda _: any(s != "ready" for s in driver.execute_script("return window.__states")) and state("alpha") == "ready")
        states = driver.execute_script("return window.__states")
        assert driver.execute_script("return window.__marker") == 42, "the page was reloaded"
        print("alpha went through " + json.dumps(states), flush=True)
        assert states[-1] == "ready" and "ready" not in states[:1], states

        # A command, with markup in an option, appears in the live feed as text.
        driver.find_element(By.CSS_SELECTOR, 'nav a[data-view="commands"]').click()
        payload = "<img src=x onerror=window.__xss=1>"
        need("command alpha " + payload)
        wait.until(lambda _: any(payload in text for text in driver.execute_script(
            "return Array.from(document.querySelectorAll('#commands-table td.options'), c => c.textContent)")))
        assert driver.find_elements(By.CSS_SELECTOR, "#commands-table img") == [], "an option became markup"
        assert driver.execute_script("return window.__xss") is None, "an option ran script"

        # The page itself needs nothing the Content-Security-Policy forbids.
        violations = [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]
        assert not violations, violations

        # The bot page draws its charts from the series API as SVG (a line, or "no samples" when empty).
        driver.find_element(By.CSS_SELECTOR, 'nav a[data-view="bot"]').click()
        wait.until(lambda _: len(driver.find_elements(By.CSS_SELECTOR, "#bot-charts .chart svg")) == 5)
        # The jobs page lists jobs (none yet) without an error.
        driver.find_element(By.CSS_SELECTOR, 'nav a[data-view="jobs"]').click()
        wait.until(lambda _: driver.find_element(By.ID, "jobs").is_displayed())

        driver.find_element(By.CSS_SELECTOR, 'nav a[data-view="fleet"]').click()
        wait.until(lambda _: state("alpha") == "ready")
        driver.save_screenshot(shot)
        print("PASS", flush=True)
    finally:
        driver.quit()
    """#

    @Test(.enabled(if: browserPresent, missing))
    func theFleetPageFollowsARestartLiveAndCommandsShowUntrustedTextAsText() async throws {
        // The browser is here: a missing Selenium is a broken setup, not a reason to skip.
        try #require(await Self.selenium.available(), "selenium is not installed: pip install selenium (or run .ci/run)")
        try await DaemonHarness.run { h in
            try await h.waitForHTTP()
            try await h.createBot("alpha", token: "tok-alpha")
            try await h.createBot("beta", token: "tok-beta")
            try await h.waitFor("alpha", .ready)
            try await h.waitFor("beta", .ready)
            let shot = FileManager.default.temporaryDirectory.appendingPathComponent("dashboard-\(getpid()).png").path
            defer { try? FileManager.default.removeItem(atPath: shot) }
            var killed: Int32?
            // An operator account, made over the control socket as `botvisorctl user add` makes it.
            let password = "correct horse battery staple"
            let added = try await h.ctl(ControlRequest(command: .userAdd, name: "olivia", role: "operator", password: password))
            #expect(added.ok, "\(String(describing: added.error))")
            let (passed, log) = try await EventFeedProtocolTests.runPeer(
                Self.script, arguments: ["http://127.0.0.1:\(h.httpPort)/", shot, Self.chromium!.path!, Self.chromedriver.path!]
            ) { action in
                let words = action.split(separator: " ", maxSplits: 2).map(String.init)
                switch words[0] {
                case "credentials":
                    return "olivia \(password)"
                case "kill":
                    let pid = try #require(try await h.status(words[1]).pid)
                    kill(pid, SIGKILL)
                    killed = pid
                case "command":
                    let id = await h.sim.injectInteraction(bot: words[1], command: "ping",
                                                           options: [["name": "text", "type": 3, "value": .string(words[2])]])
                    #expect(id != nil)
                default:
                    Issue.record("unknown action \(action)")
                }
                return ""
            }
            #expect(passed, "\(log.joined(separator: "\n"))")
            #expect(killed != nil)
            // A restart happened behind the page (a new worker), and the screenshot is a PNG.
            #expect(try await h.status("alpha").pid != killed)
            let png = try Data(contentsOf: URL(fileURLWithPath: shot))
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
            // `BOTVISOR_UPDATE_SCREENSHOT=1 swift test --filter DashboardBrowserTests` refreshes the README's picture.
            if ProcessInfo.processInfo.environment["BOTVISOR_UPDATE_SCREENSHOT"] == "1" {
                try png.write(to: URL(fileURLWithPath: "\(repositoryRoot())/docs/dashboard.png"))
            }
        }
    }
}
