import Foundation
import Control
import Glibc
import HTTP
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

    /// What every browser script starts with: Chromium under Selenium, the `NEED` protocol, signing in.
    static let prelude = #"""
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
    # Deadlines, not sleeps: 90 s bounds a failure on a loaded machine, it is not a latency check.
    wait = WebDriverWait(driver, 90, poll_frequency=0.05)

    def sign_in(who):
        # Every route but health needs a token: the page shows its sign-in form.
        wait.until(lambda _: driver.find_element(By.ID, "login").is_displayed())
        user, password = need("credentials " + who).split(" ", 1)
        form = driver.find_element(By.ID, "login-form")
        form.find_element(By.NAME, "username").send_keys(user)
        form.find_element(By.NAME, "password").send_keys(password)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    def sign_out_to(view):
        # The token lives in sessionStorage: without it, the reloaded page asks for a sign-in again.
        driver.execute_script("sessionStorage.clear(); location.hash = arguments[0]; location.reload();", view)

    def no_csp_violations():
        # The page needs nothing the Content-Security-Policy forbids.
        violations = [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]
        assert not violations, violations

    """#

    static let script = prelude + #"""
    try:
        driver.get(url)
        # An operator signs in.
        sign_in("operator")

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

        no_csp_violations()

        # The bot page draws its charts from the series API as SVG (a line, or "no samples" when empty).
        driver.find_element(By.CSS_SELECTOR, 'nav a[data-view="bot"]').click()
        wait.until(lambda _: len(driver.find_elements(By.CSS_SELECTOR, "#bot-charts .chart svg")) == 5)
        # The jobs page lists jobs (none yet) without an error.
        driver.find_element(By.CSS_SELECTOR, 'nav a[data-view="jobs"]').click()
        wait.until(lambda _: driver.find_element(By.ID, "jobs").is_displayed())

        driver.find_element(By.CSS_SELECTOR, 'nav a[data-view="fleet"]').click()
        wait.until(lambda _: state("alpha") == "ready")
        # The command counts in alpha's commands per minute (the metrics API over 5 minutes, reloaded after commands).
        def cell(bot, name):
            return driver.execute_script(
                'const c = document.querySelector(\'#fleet-table tr[data-bot="%s"] .%s\'); return c ? c.textContent : null;' % (bot, name))
        wait.until(lambda _: float(cell("alpha", "rate") or 0) > 0)
        assert cell("alpha", "errors").endswith("%"), cell("alpha", "errors")
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

    static let stockScript = prelude + #"""
    def row(sku):
        # One script call: rows are re-rendered live, so an element found first may be gone when read.
        return driver.execute_script("""
            const r = document.querySelector('#stock-table tr[data-sku="' + arguments[0] + '"]');
            return r ? { visible: r.dataset.visible, toggles: r.querySelectorAll(".visible-toggle, .select-product").length } : {};
        """, sku)

    try:
        driver.get(url + "#stock")
        sign_in("operator")

        # An operator hides a product with its toggle, and the API shows it hidden.
        wait.until(lambda _: row("apple").get("visible") == "true" and row("apple").get("toggles") == 2)
        # Product names are the API's data: "<i>apple</i>" is text, not markup.
        assert driver.find_elements(By.CSS_SELECTOR, "#stock-table i") == []
        driver.find_element(By.CSS_SELECTOR, '#stock-table tr[data-sku="apple"] .visible-toggle').click()
        wait.until(lambda _: row("apple").get("visible") == "false")
        assert need("visible apple") == "false"
        # A change made elsewhere shows without a reload (the stock topic).
        need("show apple")
        wait.until(lambda _: row("apple").get("visible") == "true")
        # Bulk: a selection hidden in one job; the product not selected stays shown.
        driver.execute_script("""
            for (const sku of ["apple", "pear"]) document.querySelector('#stock-table tr[data-sku="' + sku + '"] .select-product').checked = true;
            document.querySelector('#stock button[data-visibility="false"]').click();
        """)
        wait.until(lambda _: row("apple").get("visible") == "false" and row("pear").get("visible") == "false")
        assert need("visible apple pear kale") == "false false true"
        assert row("kale").get("visible") == "true"

        # The composer refuses an over-long message in the page: nothing is posted.
        driver.find_element(By.CSS_SELECTOR, 'nav a[data-view="jobs"]').click()
        wait.until(lambda _: driver.find_element(By.ID, "composer").is_displayed())
        driver.execute_script("""
            window.__sent = [];
            const original = window.fetch;
            window.fetch = (resource, options) => { window.__sent.push(String(resource)); return original(resource, options); };
        """)
        wait.until(lambda _: driver.execute_script("return document.querySelector('#composer select[name=bot]').options.length") > 0)
        driver.find_element(By.CSS_SELECTOR, "#composer input[name=channels]").send_keys("700000000000000001")
        driver.find_element(By.ID, "composer-add").click()
        wait.until(lambda _: len(driver.find_elements(By.CSS_SELECTOR, "#composer-targets li")) == 1)
        driver.execute_script("""
            const t = document.querySelector('#composer textarea[name=content]');
            t.value = "x".repeat(2001);
            t.dispatchEvent(new Event("input"));
        """)
        assert driver.find_element(By.ID, "composer-count").text == "2001"
        driver.find_element(By.CSS_SELECTOR, "#composer button[type=submit]").click()
        wait.until(lambda _: any("Discord allows 2000" in li.text for li in driver.find_elements(By.CSS_SELECTOR, "#composer-errors li")))
        assert not any("/bulk/messages" in u for u in driver.execute_script("return window.__sent")), driver.execute_script("return window.__sent")
        assert need("message jobs") == "0"
        # Within the limit, the same message goes out as a job.
        driver.execute_script("""
            const t = document.querySelector('#composer textarea[name=content]');
            t.value = "restock at noon <b>today</b>";
            t.dispatchEvent(new Event("input"));
        """)
        driver.find_element(By.CSS_SELECTOR, "#composer button[type=submit]").click()
        wait.until(lambda _: driver.find_element(By.ID, "composer-result").text.startswith("job "))
        assert need("message jobs") == "1"
        no_csp_violations()

        # A viewer sees the products but no toggle, no selection, no bulk buttons, no composer, no audit page.
        sign_out_to("#stock")
        sign_in("viewer")
        wait.until(lambda _: row("kale").get("visible") == "true")
        assert row("apple").get("toggles") == 0 and row("kale").get("toggles") == 0
        assert driver.find_elements(By.CSS_SELECTOR, "#stock-table .visible-toggle, #stock-table .select-product") == []
        assert not driver.find_element(By.CSS_SELECTOR, '#stock button[data-visibility="false"]').is_displayed()
        assert not driver.find_element(By.CSS_SELECTOR, 'nav a[data-view="audit"]').is_displayed()
        driver.find_element(By.CSS_SELECTOR, 'nav a[data-view="jobs"]').click()
        wait.until(lambda _: driver.find_element(By.ID, "jobs-table").is_displayed())
        assert not driver.find_element(By.ID, "composer").is_displayed()

        # An admin reads the audit log, filtered: the operator's bulk message is there.
        sign_out_to("#audit")
        sign_in("admin")
        wait.until(lambda _: len(driver.find_elements(By.CSS_SELECTOR, "#audit-table tbody tr")) > 0)
        form = driver.find_element(By.ID, "audit-form")
        form.find_element(By.NAME, "actor").send_keys("olivia")
        form.find_element(By.NAME, "action").send_keys("bulk.messages")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        def audit_rows():
            return driver.execute_script(
                "return Array.from(document.querySelectorAll('#audit-table tbody tr'), r => Array.from(r.cells, c => c.textContent))")
        wait.until(lambda _: len(audit_rows()) == 1 and audit_rows()[0][1] == "olivia" and audit_rows()[0][3] == "bulk.messages")
        no_csp_violations()
        print("PASS", flush=True)
    finally:
        driver.quit()
    """#

    @Test(.enabled(if: browserPresent, missing))
    func anOperatorHidesProductsAViewerSeesNoToggleAndTheComposerRefusesAnOverLongMessage() async throws {
        try #require(await Self.selenium.available(), "selenium is not installed: pip install selenium (or run .ci/run)")
        try await DaemonHarness.run { h in
            try await h.waitForHTTP()
            // A bot for the composer's target picker (its messages may fail: the job is what counts here).
            try await h.createBot("alpha", token: "tok-alpha")
            let password = "correct horse battery staple"
            let accounts = ["operator": "olivia", "viewer": "vera", "admin": "ada"]
            for (role, name) in accounts {
                let added = try await h.ctl(ControlRequest(command: .userAdd, name: name, role: role, password: password))
                #expect(added.ok, "\(String(describing: added.error))")
            }
            let (status, catalog) = try await h.api(.post, "/api/v1/catalogs", ["name": "Market", "currency": "EUR"])
            #expect(status == 201, "\(catalog)")
            let catalogID = try #require(catalog["id"]?.int)
            let products = "/api/v1/catalogs/\(catalogID)/products"
            for (i, sku) in ["apple", "pear", "kale"].enumerated() {
                let (created, body) = try await h.api(.post, products, ["sku": .string(sku), "name": .string("<i>\(sku)</i>"), "price": .number(Double(100 + i))])
                #expect(created == 201, "\(body)")
            }
            let (passed, log) = try await EventFeedProtocolTests.runPeer(
                Self.stockScript, arguments: ["http://127.0.0.1:\(h.httpPort)/", "", Self.chromium!.path!, Self.chromedriver.path!]
            ) { action in
                let words = action.split(separator: " ").map(String.init)
                switch words[0] {
                case "credentials":
                    return "\(accounts[words[1]] ?? "") \(password)"
                case "visible":
                    var shown: [String] = []
                    for sku in words.dropFirst() {
                        let (_, product) = try await h.api(.get, "\(products)/\(sku)")
                        shown.append(product["visible"]?.bool.map { $0 ? "true" : "false" } ?? "?")
                    }
                    return shown.joined(separator: " ")
                case "show":
                    let (changed, body) = try await h.api(.patch, "\(products)/\(words[1])", ["visible": true])
                    #expect(changed == 200, "\(body)")
                case "message":
                    let (_, page) = try await h.api(.get, "/api/v1/jobs")
                    return String((page["jobs"]?.array ?? []).filter { $0["kind"]?.string == "message" }.count)
                default:
                    Issue.record("unknown action \(action)")
                }
                return ""
            }
            #expect(passed, "\(log.joined(separator: "\n"))")
        }
    }

    static let botScript = prelude + #"""
    def exits():
        # One script call: the table is re-rendered live.
        return driver.execute_script(
            "return Array.from(document.querySelectorAll('#bot-exits tbody tr'), r => [r.querySelector('.exit').textContent, r.querySelector('.then').textContent])")

    def field_error(name):
        return driver.execute_script(
            "const e = document.querySelector('#bot-config label .field-error[data-field=\"' + arguments[0] + '\"]'); return e ? e.textContent : null;", name)

    def set_field(name, value):
        field = driver.find_element(By.CSS_SELECTOR, '#bot-config [name="%s"]' % name)
        field.clear()
        field.send_keys(value)

    try:
        driver.get(url + "#bot")
        sign_in("admin")
        # No exits yet; the admin sees the configuration form filled from the API.
        wait.until(lambda _: driver.find_element(By.ID, "bot-exits-empty").is_displayed())
        wait.until(lambda _: driver.find_element(By.CSS_SELECTOR, '#bot-config [name="prefix"]').get_attribute("value") == "!")
        wait.until(lambda _: driver.find_element(By.ID, "feed-status").text == "live")
        # A custom command's response is shown as text, in the form and in the status: it runs nothing.
        response = '<img src=x onerror="window.__pwned=1">'
        shown = driver.find_element(By.CSS_SELECTOR, '#bot-config [name="custom_commands"]').get_attribute("value")
        assert json.loads(shown)[0]["response"] == response, shown
        status = json.loads(driver.find_element(By.ID, "bot-status").get_attribute("textContent"))
        assert status["config"]["custom_commands"][0]["response"] == response, status
        assert driver.execute_script("return document.querySelectorAll('#bot img').length === 0 && window.__pwned === undefined")

        # A kill -9 shows up among the recent restarts without a reload, with its exit reason and what followed.
        driver.execute_script("window.__marker = 7")
        need("kill alpha")
        wait.until(lambda _: len(exits()) == 1)
        print("exits " + json.dumps(exits()), flush=True)
        assert exits()[0][0] == "killed by signal 9", exits()
        assert exits()[0][1].startswith("restarted") or exits()[0][1].startswith("backoff"), exits()
        assert driver.execute_script("return window.__marker") == 7, "the page was reloaded"

        # Invalid values: each error is shown at its field, and nothing is saved.
        set_field("prefix", "a b")
        set_field("anti_spam_commands", "0")
        set_field("custom_commands", '[{"name": "Bad Name", "response": "x"}]')
        driver.find_element(By.CSS_SELECTOR, "#bot-config button[type=submit]").click()
        wait.until(lambda _: None not in [field_error(f) for f in ["prefix", "anti_spam_commands", "custom_commands"]])
        print("errors " + json.dumps([field_error(f) for f in ["prefix", "anti_spam_commands", "custom_commands"]]), flush=True)
        assert "whitespace" in field_error("prefix"), field_error("prefix")
        # A nested field's error is shown at its top field, with its path.
        assert field_error("custom_commands").startswith("[0].name: "), field_error("custom_commands")
        assert field_error("command_timeout_seconds") is None
        assert need("config alpha") == "! 5"
        # Valid values save, and the errors go.
        set_field("prefix", "?")
        set_field("anti_spam_commands", "3")
        set_field("custom_commands", '[{"name": "hello", "response": "hi"}]')
        driver.find_element(By.CSS_SELECTOR, "#bot-config button[type=submit]").click()
        wait.until(lambda _: driver.find_element(By.ID, "bot-config-result").text == "saved")
        assert None == field_error("prefix") == field_error("anti_spam_commands") == field_error("custom_commands")
        assert need("config alpha") == "? 3"
        # A change saved elsewhere (the API) shows in the form without a reload (the feed's bot.updated).
        need("patch alpha command_timeout_seconds 42")
        wait.until(lambda _: driver.find_element(By.CSS_SELECTOR, '#bot-config [name="command_timeout_seconds"]').get_attribute("value") == "42")
        assert driver.execute_script("return window.__marker") == 7, "the page was reloaded"
        no_csp_violations()

        # A viewer sees the restarts but no configuration form, and the same change made by hand is refused.
        sign_out_to("#bot")
        sign_in("viewer")
        wait.until(lambda _: len(exits()) == 1)
        assert not driver.find_element(By.ID, "bot-config").is_displayed()
        status = driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            fetch("/api/v1/bots/alpha", { method: "PATCH", body: JSON.stringify({ prefix: "!" }),
                  headers: { "Authorization": "Bearer " + sessionStorage.getItem("botvisor.token"), "Content-Type": "application/json" } })
              .then((r) => done(r.status), (e) => done(String(e)));
        """)
        assert status == 403, status
        assert need("config alpha") == "? 3"
        print("PASS", flush=True)
    finally:
        driver.quit()
    """#

    @Test(.enabled(if: browserPresent, missing))
    func theBotPageShowsRestartsWithTheirExitReasonsAndAdminsEditTheConfigurationWithErrorsAtTheFields() async throws {
        try #require(await Self.selenium.available(), "selenium is not installed: pip install selenium (or run .ci/run)")
        try await DaemonHarness.run { h in
            try await h.waitForHTTP()
            let command: JSON = ["name": "hi", "response": "<img src=x onerror=\"window.__pwned=1\">"]
            try await h.createBot("alpha", token: "tok-alpha", extra: ["prefix": "!", "anti_spam_commands": 5, "custom_commands": [command]])
            try await h.waitFor("alpha", .ready)
            let password = "correct horse battery staple"
            let accounts = ["viewer": "vera", "admin": "ada"]
            for (role, name) in accounts {
                let added = try await h.ctl(ControlRequest(command: .userAdd, name: name, role: role, password: password))
                #expect(added.ok, "\(String(describing: added.error))")
            }
            var killed: Int32?
            let (passed, log) = try await EventFeedProtocolTests.runPeer(
                Self.botScript, arguments: ["http://127.0.0.1:\(h.httpPort)/", "", Self.chromium!.path!, Self.chromedriver.path!]
            ) { action in
                let words = action.split(separator: " ").map(String.init)
                switch words[0] {
                case "credentials":
                    return "\(accounts[words[1]] ?? "") \(password)"
                case "kill":
                    let pid = try #require(try await h.status(words[1]).pid)
                    kill(pid, SIGKILL)
                    killed = pid
                case "patch":
                    let (status, body) = try await h.api(.patch, "/api/v1/bots/\(words[1])", [words[2]: .number(Double(words[3])!)])
                    #expect(status == 200, "\(body)")
                case "config":
                    let (_, bot) = try await h.api(.get, "/api/v1/bots/\(words[1])")
                    let config = bot["config"]
                    return "\(config?["prefix"]?.string ?? "null") \(config?["anti_spam_commands"]?.int ?? -1)"
                default:
                    Issue.record("unknown action \(action)")
                }
                return ""
            }
            #expect(passed, "\(log.joined(separator: "\n"))")
            // The same history through the API: the kill, with its signal and the worker it ended.
            let (status, body) = try await h.api(.get, "/api/v1/bots/alpha/exits")
            #expect(status == 200 && body["bot"]?.string == "alpha")
            let exit = try #require(body["exits"]?[0])
            #expect(exit["signal"]?.int == Int(SIGKILL) && exit["exit"]?.string == "killed by signal 9" && exit["generation"]?.int == 1)
            #expect(killed != nil)
            let (missing, _) = try await h.api(.get, "/api/v1/bots/nobody/exits")
            #expect(missing == 404)
        }
    }
}
