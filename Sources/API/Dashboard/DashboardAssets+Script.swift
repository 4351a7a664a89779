extension DashboardAssets {
    /// The dashboard's behaviour, one script in one scope: the core (API, sign-in, views, fleet, bot,
    /// commands, the live feed), then the pages that register with it (`DashboardAssets+Bot.swift`,
    /// `+Jobs`, `+Stock`, `+Audit`), then the start. Rules: everything a bot, guild, user or command sent is
    /// untrusted and only ever reaches the page as text (`textContent`, text nodes), never as markup;
    /// no eval, no inline handlers (the CSP forbids them anyway).
    static let script = core + botScript + jobsScript + stockScript + auditScript + boot

    static let core = #"""
    "use strict";
    (() => {
    const state = { token: sessionStorage.getItem("botvisor.token") || null, bots: new Map(), lastEventID: null,
                    socket: null, retry: 500, live: true, role: null, selectedBot: null };
    const $ = (sel) => document.querySelector(sel);
    // Pages register here: what to load when shown, and what to do with their topic's events.
    const loaders = {}, topicHandlers = {};
    const canOperate = () => state.role === "operator" || state.role === "admin";
    const isAdmin = () => state.role === "admin";
    // Discord and the API count characters as code points at most; a string's length counts UTF-16 units.
    const chars = (s) => [...(s || "")].length;

    // One element builder: attributes set as properties/attributes, children appended as text nodes or elements.
    function el(tag, attrs, ...children) {
      const node = document.createElement(tag);
      for (const [k, v] of Object.entries(attrs || {})) {
        if (k === "class") node.className = v;
        else if (k === "dataset") Object.assign(node.dataset, v);
        else node.setAttribute(k, v);
      }
      for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
      return node;
    }

    // MARK: API

    async function api(path, options = {}) {
      const headers = Object.assign({ "Accept": "application/json" }, options.headers || {});
      if (state.token) headers["Authorization"] = "Bearer " + state.token;
      if (options.body !== undefined && typeof options.body !== "string") {
        headers["Content-Type"] = "application/json";
        options = Object.assign({}, options, { body: JSON.stringify(options.body) });
      }
      const response = await fetch(path, Object.assign({}, options, { headers }));
      if (response.status === 401) { showLogin(); throw new Error("sign in needed"); }
      const text = await response.text();
      const body = text ? JSON.parse(text) : null;
      if (!response.ok) {
        const error = new Error((body && body.error && body.error.message) || response.statusText);
        error.status = response.status;
        error.fields = (body && body.error && body.error.fields) || [];
        throw error;
      }
      return body;
    }

    // MARK: Sign in (the API decides whether it is needed: a 401 shows this form)

    function showLogin() {
      for (const v of document.querySelectorAll(".view")) v.hidden = v.id !== "login";
    }

    $("#login-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      $("#login-error").textContent = "";
      try {
        if (form.token.value) {
          state.token = form.token.value;
        } else {
          const reply = await fetch("/api/v1/auth/login", { method: "POST", headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ username: form.username.value, password: form.password.value }) });
          const body = await reply.json().catch(() => null);
          if (!reply.ok || !body || !body.access_token) throw new Error((body && body.error && body.error.message) || "sign in failed");
          state.token = body.access_token;
          if (body.role) state.role = body.role;
        }
        sessionStorage.setItem("botvisor.token", state.token);
        form.reset();
        start();
      } catch (e) {
        $("#login-error").textContent = e.message;
      }
    });

    // MARK: Views

    function show(view) {
      for (const v of document.querySelectorAll(".view")) v.hidden = v.id !== view;
      for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.view === view);
      if (loaders[view]) loaders[view]();
    }
    const currentView = () => (location.hash.slice(1) || "fleet");
    window.addEventListener("hashchange", () => show(location.hash.slice(1) || "fleet"));

    // MARK: Fleet

    function duration(seconds) {
      if (seconds == null) return "";
      const s = Math.floor(seconds);
      if (s < 60) return s + "s";
      if (s < 3600) return Math.floor(s / 60) + "m " + (s % 60) + "s";
      if (s < 86400) return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
      return Math.floor(s / 86400) + "d " + Math.floor((s % 86400) / 3600) + "h";
    }
    function bytes(n) {
      if (n == null) return "";
      return n > 1048576 ? (n / 1048576).toFixed(1) + " MiB" : Math.round(n / 1024) + " KiB";
    }

    async function loadFleet() {
      const bots = await api("/api/v1/bots");
      state.bots = new Map(bots.map((b) => [b.name, b]));
      renderFleet();
      fillBotSelect();
      loadRates().catch(() => {});
    }

    // Commands per minute and error rate per bot over the last 5 minutes (the metrics API, cached 1 s there):
    // reloaded a moment after commands arrive, and every 15 s so a quiet bot's rate falls without an event.
    state.rates = new Map();
    async function loadRates() {
      const summary = await api("/api/v1/monitoring/metrics?window=5m");
      state.rates = new Map(Object.entries(summary.bots || {}));
      for (const name of state.bots.keys()) updateBotRow(name);
    }
    const ratesSoon = debounced(() => loadRates().catch(() => {}), 2000);
    setInterval(() => { if (state.token && currentView() === "fleet") loadRates().catch(() => {}); }, 15000);

    function renderFleet() {
      const body = $("#fleet-table tbody");
      body.replaceChildren();
      const names = [...state.bots.keys()].sort();
      $("#fleet-empty").hidden = names.length > 0;
      for (const name of names) body.append(fleetRow(state.bots.get(name)));
    }

    function fleetRow(bot) {
      const rate = state.rates.get(bot.name);
      const actions = el("td", { class: "operator-only" });
      for (const action of ["start", "stop", "restart"]) {
        const b = el("button", { dataset: { action, bot: bot.name } }, action);
        actions.append(b, " ");
      }
      const row = el("tr", { dataset: { bot: bot.name } },
        el("td", {}, el("input", { type: "checkbox", dataset: { select: bot.name } })),
        el("td", { class: "name" }, el("a", { href: "#bot", dataset: { open: bot.name } }, bot.name)),
        el("td", {}, el("span", { class: "state", dataset: { state: bot.state } }, bot.state)),
        el("td", {}, duration(bot.uptime_seconds)),
        el("td", {}, bot.restarts),
        el("td", {}, bot.gateway_rtt_ms != null ? Math.round(bot.gateway_rtt_ms) + " ms" : ""),
        el("td", {}, bytes(bot.memory_bytes)),
        el("td", { class: "rate" }, rate ? rate.commands_per_minute.toFixed(1) : ""),
        el("td", { class: "errors" + (rate && rate.error_rate > 0 ? " error" : "") }, rate ? (rate.error_rate * 100).toFixed(1) + "%" : ""),
        el("td", { class: "muted" }, bot.reason || ""),
        actions);
      return row;
    }

    function updateBotRow(name) {
      const bot = state.bots.get(name);
      const old = document.querySelector(`#fleet-table tr[data-bot="${CSS.escape(name)}"]`);
      if (!bot) { if (old) old.remove(); return; }
      const row = fleetRow(bot);
      row.classList.add("flash");
      if (old) old.replaceWith(row); else renderFleet();
    }

    async function refreshBot(name) {
      try {
        const bot = await api("/api/v1/bots/" + encodeURIComponent(name));
        state.bots.set(name, bot);
      } catch (e) {
        state.bots.delete(name);
      }
      updateBotRow(name);
    }

    $("#fleet-table").addEventListener("click", async (event) => {
      const target = event.target;
      if (target.dataset.open) { state.selectedBot = target.dataset.open; return; }
      const action = target.dataset.action;
      if (!action) return;
      target.disabled = true;
      try { await api(`/api/v1/bots/${encodeURIComponent(target.dataset.bot)}/${action}`, { method: "POST" }); }
      catch (e) { alert(e.message); }
      finally { target.disabled = false; }
    });

    for (const button of document.querySelectorAll("[data-bulk]")) {
      button.addEventListener("click", async () => {
        const bots = [...document.querySelectorAll("[data-select]:checked")].map((c) => c.dataset.select);
        if (bots.length === 0) return;
        try { await api("/api/v1/bulk/" + button.dataset.bulk, { method: "POST", body: { bots } }); loaders.jobs(); }
        catch (e) { alert(e.message); }
      });
    }

    // MARK: Commands

    function commandRow(r) {
      const time = new Date(r.started_at).toLocaleTimeString();
      const row = el("tr", { class: r.outcome === "ok" ? "" : "failed", dataset: { id: r.id } },
        el("td", {}, time), el("td", {}, r.bot), el("td", {}, r.command), el("td", {}, r.user_id),
        el("td", { class: "options" }, JSON.stringify(r.options)),
        el("td", {}, r.outcome + (r.error_code ? " " + r.error_code : "")),
        el("td", {}, (r.duration_us / 1000).toFixed(1)));
      row.addEventListener("click", () => {
        const detail = $("#command-detail");
        detail.hidden = false;
        detail.textContent = JSON.stringify(r, null, 2);
      });
      return row;
    }

    function liveCommand(record) {
      if (!state.live) return;
      const form = $("#search-form");
      if (form.bot.value && record.bot !== form.bot.value) return;
      if (form.outcome.value && record.outcome !== form.outcome.value) return;
      const body = $("#commands-table tbody");
      const row = commandRow(record);
      row.classList.add("flash");
      body.prepend(row);
      while (body.children.length > 200) body.lastChild.remove();
    }

    async function loadCommands(query) {
      const params = new URLSearchParams({ limit: "100" });
      for (const [k, v] of Object.entries(query || {})) if (v) params.set(k, v);
      const page = await api("/api/v1/logs?" + params);
      $("#commands-table tbody").replaceChildren(...page.logs.map(commandRow));
    }

    $("#search-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const f = event.target;
      state.live = !f.q.value;
      loadCommands({ q: f.q.value, bot: f.bot.value, outcome: f.outcome.value }).catch((e) => alert(e.message));
    });
    $("#live-button").addEventListener("click", () => {
      const f = $("#search-form");
      f.q.value = "";
      state.live = true;
      loadCommands({ bot: f.bot.value, outcome: f.outcome.value }).catch(() => {});
    });

    // MARK: The live feed

    function onEvent(e) {
      if (e.id != null && e.topic) state.lastEventID = e.id;
      switch (e.type) {
        case "bot.state": {
          const bot = state.bots.get(e.data.bot);
          if (bot) { bot.state = e.data.to; bot.reason = e.data.reason; updateBotRow(e.data.bot); }
          refreshBot(e.data.bot);
          break;
        }
        case "bot.exited": case "bot.added": case "bot.updated": case "bot.handover": refreshBot(e.data.bot); break;
        case "bot.removed": state.bots.delete(e.data.bot); updateBotRow(e.data.bot); break;
        case "command": liveCommand(e.data); ratesSoon(); break;
        case "reset": case "lagged": reloadAll(); break;
      }
      if (e.topic && topicHandlers[e.topic]) topicHandlers[e.topic](e);
    }

    // Many events in a burst, one reload: `fn` runs once, `ms` after the first call of a burst.
    function debounced(fn, ms) {
      let timer = null;
      return () => { if (!timer) timer = setTimeout(() => { timer = null; fn(); }, ms); };
    }

    function setFeedStatus(s) { const n = $("#feed-status"); n.dataset.state = s; n.textContent = s; }

    async function feedURL() {
      const url = new URL("/api/v1/events", location.href);
      url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
      // Audit is for admins: asking for it as another role is refused (403), so it is asked for only then.
      url.searchParams.set("topics", "bots,commands,jobs,stock" + (isAdmin() ? ",audit" : ""));
      if (state.lastEventID != null) url.searchParams.set("last_event_id", String(state.lastEventID));
      if (state.token) {
        // Browsers cannot set headers on a WebSocket: a short-lived ticket stands in for the token.
        const ticket = await api("/api/v1/auth/ws-ticket", { method: "POST", body: {} });
        url.searchParams.set("ticket", ticket.ticket);
      }
      return url;
    }

    async function connect() {
      setFeedStatus("connecting");
      let socket;
      try { socket = new WebSocket(await feedURL()); } catch (e) { return scheduleReconnect(); }
      state.socket = socket;
      socket.addEventListener("open", () => { state.retry = 500; setFeedStatus("live"); });
      socket.addEventListener("message", (m) => { try { onEvent(JSON.parse(m.data)); } catch (e) { console.error(e); } });
      socket.addEventListener("close", () => { setFeedStatus("closed"); scheduleReconnect(); });
    }
    function scheduleReconnect() {
      setTimeout(connect, state.retry);
      state.retry = Math.min(state.retry * 2, 10000);
    }

    async function reloadAll() {
      await loadFleet().catch(() => {});
      if (state.live) await loadCommands({}).catch(() => {});
      const view = currentView();
      // The bot page too: opened first (a link to #bot), it had no bots to choose from until the fleet loaded.
      if (loaders[view]) loaders[view]();
    }
    """#

    /// Last: the start, once every page has registered.
    static let boot = #"""
    async function start() {
      // The role decides what the page offers: operators and admins get the controls that change things, admins the
      // audit page. It is only a courtesy: the API refuses a viewer's change anyway (403).
      try { state.role = (await api("/api/v1/auth/me")).role; } catch (e) { return; }
      document.body.classList.toggle("viewer", !canOperate());
      document.body.classList.toggle("admin", isAdmin());
      show(currentView());
      await reloadAll();
      if (!state.socket) connect();
    }

    start();
    })();
    """#
}
