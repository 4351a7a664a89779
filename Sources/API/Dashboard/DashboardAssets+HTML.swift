/// The dashboard's files, as Swift strings so that the binary carries them.
enum DashboardAssets {}

extension DashboardAssets {
    /// The one page; every view is a `<section>` the script shows. No inline script or style (CSP).
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>botvisor</title>
    <link rel="stylesheet" href="/assets/app.css">
    <script src="/assets/app.js" defer></script>
    </head>
    <body>
    <header>
      <h1>botvisor</h1>
      <nav>
        <a href="#fleet" data-view="fleet">Fleet</a>
        <a href="#bot" data-view="bot">Bot</a>
        <a href="#commands" data-view="commands">Commands</a>
        <a href="#jobs" data-view="jobs">Jobs</a>
        <a href="#stock" data-view="stock">Stock</a>
        <a href="#audit" data-view="audit" class="admin-only">Audit</a>
      </nav>
      <span id="feed-status" class="feed-status" data-state="connecting">connecting</span>
    </header>
    <main>
      <section id="login" class="view" hidden>
        <h2>Sign in</h2>
        <form id="login-form">
          <label>User <input name="username" autocomplete="username"></label>
          <label>Password <input name="password" type="password" autocomplete="current-password"></label>
          <label>or an API token <input name="token" type="password" autocomplete="off"></label>
          <button type="submit">Sign in</button>
          <p id="login-error" class="error"></p>
        </form>
      </section>

      <section id="fleet" class="view">
        <h2>Fleet</h2>
        <div class="toolbar operator-only">
          <button data-bulk="start">Start selected</button>
          <button data-bulk="stop">Stop selected</button>
          <button data-bulk="restart">Restart selected</button>
        </div>
        <table id="fleet-table">
          <thead><tr><th></th><th>Bot</th><th>State</th><th>Uptime</th><th>Restarts</th><th>RTT</th><th>Memory</th><th title="commands per minute over the last 5 minutes">Cmd/min</th><th title="errors and timeouts among them">Errors</th><th>Reason</th><th class="operator-only">Actions</th></tr></thead>
          <tbody></tbody>
        </table>
        <p id="fleet-empty" class="muted" hidden>No bots yet.</p>
      </section>

      <section id="bot" class="view" hidden>
        <h2>Bot <select id="bot-select"></select>
          <select id="bot-window"><option value="3600000">1 h</option><option value="86400000">24 h</option><option value="604800000">7 d</option></select></h2>
        <div id="bot-charts" class="charts"></div>
        <h3>Recent restarts</h3>
        <table id="bot-exits">
          <thead><tr><th>Time</th><th>Exit</th><th>Ran for</th><th>Cause</th><th>Then</th><th>Reason</th></tr></thead>
          <tbody></tbody>
        </table>
        <p id="bot-exits-empty" class="muted" hidden>No exits since botvisord started.</p>
        <h3>Configuration</h3>
        <form id="bot-config" class="admin-only config" novalidate>
          <label>Token <input name="token" type="password" autocomplete="off" placeholder="unchanged"></label>
          <label>Application id <input name="application_id" autocomplete="off"></label>
          <label>Intents <input name="intents" inputmode="numeric" autocomplete="off"></label>
          <label>Prefix <input name="prefix" autocomplete="off" placeholder="slash commands only"></label>
          <label>Anti-spam commands <input name="anti_spam_commands" inputmode="numeric" autocomplete="off"></label>
          <label>Anti-spam window (s) <input name="anti_spam_window_seconds" inputmode="decimal" autocomplete="off"></label>
          <label>Command timeout (s) <input name="command_timeout_seconds" inputmode="decimal" autocomplete="off"></label>
          <label>Custom commands (JSON) <textarea name="custom_commands" rows="4"></textarea></label>
          <label class="inline"><input name="enabled" type="checkbox"> Enabled</label>
          <div class="toolbar"><button type="submit">Save</button> <span id="bot-config-result" class="muted"></span></div>
        </form>
        <h3>Status</h3>
        <pre id="bot-status"></pre>
      </section>

      <section id="commands" class="view" hidden>
        <h2>Commands</h2>
        <form id="search-form" class="toolbar">
          <input name="q" placeholder="full-text search">
          <input name="bot" placeholder="bot">
          <select name="outcome"><option value="">any outcome</option><option>ok</option><option>error</option><option>timeout</option><option>rate_limited</option><option>expired</option><option>interrupted</option></select>
          <button type="submit">Search</button>
          <button type="button" id="live-button">Live</button>
        </form>
        <table id="commands-table">
          <thead><tr><th>Time</th><th>Bot</th><th>Command</th><th>User</th><th>Options</th><th>Outcome</th><th>ms</th></tr></thead>
          <tbody></tbody>
        </table>
        <pre id="command-detail" hidden></pre>
      </section>

      <section id="jobs" class="view" hidden>
        <h2>Jobs</h2>
        <form id="composer" class="operator-only composer" novalidate>
          <h3>Send a message</h3>
          <div class="toolbar">
            <label>Bot <select name="bot"></select></label>
            <label>Channel ids <input name="channels" placeholder="comma or space separated" autocomplete="off"></label>
            <button type="button" id="composer-add">Add targets</button>
          </div>
          <ul id="composer-targets" class="targets"></ul>
          <label>Content <textarea name="content" rows="4"></textarea></label>
          <p class="muted"><span id="composer-count">0</span> / <span id="composer-limit"></span> characters</p>
          <details>
            <summary>Embed</summary>
            <label>Title <input name="title"></label>
            <label>Description <textarea name="description" rows="3"></textarea></label>
          </details>
          <div class="toolbar"><button type="submit">Send</button></div>
          <ul id="composer-errors" class="error"></ul>
          <p id="composer-result" class="muted"></p>
        </form>
        <table id="jobs-table">
          <thead><tr><th>Job</th><th>Kind</th><th>State</th><th>Progress</th><th>Created</th></tr></thead>
          <tbody></tbody>
        </table>
        <pre id="job-detail" hidden></pre>
      </section>

      <section id="stock" class="view" hidden>
        <h2>Stock <select id="stock-catalog"></select></h2>
        <div class="toolbar operator-only">
          <button type="button" data-visibility="false">Hide selected</button>
          <button type="button" data-visibility="true">Show selected</button>
        </div>
        <p id="stock-status" class="muted"></p>
        <table id="stock-table">
          <thead><tr><th class="operator-only"></th><th>SKU</th><th>Name</th><th>Category</th><th>Price</th><th>Quantity</th><th>Visible</th></tr></thead>
          <tbody></tbody>
        </table>
        <p id="stock-empty" class="muted" hidden>No catalogs yet: admins create them with the API or <code>botvisorctl stock</code>.</p>
      </section>

      <section id="audit" class="view" hidden>
        <h2>Audit</h2>
        <form id="audit-form" class="toolbar">
          <input name="actor" placeholder="actor">
          <input name="action" placeholder="action">
          <input name="target" placeholder="target">
          <select name="outcome"><option value="">any outcome</option><option>success</option><option>failure</option><option>denied</option></select>
          <label>from <input name="from" type="datetime-local"></label>
          <label>to <input name="to" type="datetime-local"></label>
          <button type="submit">Filter</button>
        </form>
        <table id="audit-table">
          <thead><tr><th>Time</th><th>Actor</th><th>Address</th><th>Action</th><th>Target</th><th>Outcome</th><th>Request</th></tr></thead>
          <tbody></tbody>
        </table>
        <div class="toolbar"><button type="button" id="audit-more" hidden>Older</button></div>
        <pre id="audit-detail" hidden></pre>
      </section>
    </main>
    </body>
    </html>
    """#
}
