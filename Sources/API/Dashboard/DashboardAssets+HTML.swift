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
        <a href="#audit" data-view="audit">Audit</a>
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
          <thead><tr><th></th><th>Bot</th><th>State</th><th>Uptime</th><th>Restarts</th><th>RTT</th><th>Memory</th><th>Reason</th><th class="operator-only">Actions</th></tr></thead>
          <tbody></tbody>
        </table>
        <p id="fleet-empty" class="muted" hidden>No bots yet.</p>
      </section>

      <section id="bot" class="view" hidden>
        <h2>Bot <select id="bot-select"></select>
          <select id="bot-window"><option value="3600000">1 h</option><option value="86400000">24 h</option><option value="604800000">7 d</option></select></h2>
        <div id="bot-charts" class="charts"></div>
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
        <table id="jobs-table">
          <thead><tr><th>Job</th><th>Kind</th><th>State</th><th>Progress</th><th>Created</th></tr></thead>
          <tbody></tbody>
        </table>
        <pre id="job-detail" hidden></pre>
      </section>

      <section id="stock" class="view" hidden>
        <h2>Stock</h2>
        <p class="muted">Stock displays are not available yet.</p>
      </section>

      <section id="audit" class="view" hidden>
        <h2>Audit</h2>
        <p class="muted">The audit log is not available yet.</p>
      </section>
    </main>
    </body>
    </html>
    """#
}
