extension DashboardAssets {
    /// The Bot page: charts of its series (SVG, drawn here), its recent restarts with their exit reasons
    /// (`GET /api/v1/bots/{name}/exits`, reloaded on its `bot.exited` and `bot.state` events), and its configuration,
    /// which admins edit: only changed fields are sent (`PATCH /api/v1/bots/{name}`), a 422's `fields` are shown
    /// beside the fields they name, and a change saved elsewhere (`bot.updated`) shows unless an edit is under way.
    static let botScript = #"""
    // MARK: Bot

    function fillBotSelect() {
      const select = $("#bot-select");
      const current = state.selectedBot || select.value;
      select.replaceChildren(...[...state.bots.keys()].sort().map((n) => el("option", { value: n }, n)));
      if (current && state.bots.has(current)) select.value = current;
    }
    loaders.bot = () => loadBotPage();
    $("#bot-select").addEventListener("change", () => { state.selectedBot = $("#bot-select").value; loadBotPage(); });
    $("#bot-window").addEventListener("change", () => loadBotPage());

    const charts = [["gateway_rtt_ms", "Gateway RTT (ms)"], ["rss_bytes", "Memory (bytes)"], ["cpu_percent", "CPU (%)"],
                    ["commands_per_second", "Commands per second"], ["events_per_second", "Gateway events per second"]];

    async function loadBotPage() {
      fillBotSelect();
      const name = $("#bot-select").value;
      const box = $("#bot-charts");
      box.replaceChildren();
      if (!name) return;
      const to = Date.now(), from = to - Number($("#bot-window").value);
      for (const [metric, title] of charts) {
        const chart = el("div", { class: "chart" }, el("h4", {}, title));
        box.append(chart);
        api(`/api/v1/monitoring/metrics/series?bot=${encodeURIComponent(name)}&metric=${metric}&from=${from}&to=${to}`)
          .then((series) => chart.append(svgChart(series.points || [], from, to)))
          .catch((e) => chart.append(el("p", { class: "muted" }, e.message)));
      }
      loadExits(name).catch((e) => $("#bot-exits-empty").replaceChildren(e.message));
      showBot(name, state.bots.get(name));
    }

    // Its status, and for admins its configuration (another bot's replaces an edit; the same bot's does not).
    function showBot(name, status) {
      $("#bot-status").textContent = status ? JSON.stringify(status, null, 2) : "";
      if (isAdmin() && status) fillConfig(name, status.config || {});
    }

    function svgChart(points, from, to) {
      const NS = "http://www.w3.org/2000/svg", W = 300, H = 100;
      const svg = document.createElementNS(NS, "svg");
      svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
      svg.setAttribute("preserveAspectRatio", "none");
      if (points.length === 0) {
        const t = document.createElementNS(NS, "text");
        t.setAttribute("x", "4"); t.setAttribute("y", "14"); t.textContent = "no samples in this window";
        svg.append(t);
        return svg;
      }
      const values = points.map((p) => p.value);
      const max = Math.max(...values, 0), min = Math.min(...values, 0), span = max - min || 1;
      const line = document.createElementNS(NS, "polyline");
      line.setAttribute("points", points.map((p) =>
        `${((p.ts - from) / (to - from) * W).toFixed(1)},${(H - 4 - (p.value - min) / span * (H - 16)).toFixed(1)}`).join(" "));
      const label = document.createElementNS(NS, "text");
      label.setAttribute("x", "4"); label.setAttribute("y", "10");
      label.textContent = `max ${max.toFixed(2)}  last ${values[values.length - 1].toFixed(2)}`;
      svg.append(line, label);
      return svg;
    }

    // Recent restarts: newest first; a crash loop or a refused token is highlighted.
    async function loadExits(name) {
      const page = await api(`/api/v1/bots/${encodeURIComponent(name)}/exits`);
      if (name !== $("#bot-select").value) return;
      const rows = page.exits.map((x) => {
        const then = x.then + (x.backoff_ms != null ? ` (${x.backoff_ms} ms)` : "");
        const bad = ["failed", "auth_failed", "config_failed"].includes(x.then);
        return el("tr", { class: bad ? "failed" : "", dataset: { generation: String(x.generation) } },
          el("td", {}, new Date(x.time).toLocaleString()), el("td", { class: "exit" }, x.exit),
          el("td", {}, duration(x.ran_for_seconds)), el("td", { class: "cause" }, x.cause || ""),
          el("td", { class: "then" }, then), el("td", { class: "muted" }, x.reason || ""));
      });
      $("#bot-exits tbody").replaceChildren(...rows);
      $("#bot-exits-empty").hidden = rows.length > 0;
    }
    // Live: an exit or a spawn failure (a `bot.state` to backoff) reloads the list, a configuration change the form;
    // a burst of events (a restart is several) is one reload.
    const shownBotChanged = debounced(() => {
      const name = $("#bot-select").value;
      if (currentView() !== "bot" || !name) return;
      loadExits(name).catch(() => {});
      api("/api/v1/bots/" + encodeURIComponent(name))
        .then((bot) => { if (name === $("#bot-select").value) showBot(name, bot); }).catch(() => {});
    }, 150);
    topicHandlers.bots = (e) => {
      if (["bot.exited", "bot.state", "bot.updated"].includes(e.type) && e.data.bot === $("#bot-select").value) shownBotChanged();
    };

    // MARK: Bot configuration (admins)

    const configFields = ["application_id", "intents", "prefix", "anti_spam_commands", "anti_spam_window_seconds",
                          "command_timeout_seconds", "custom_commands", "enabled"];
    const configForm = $("#bot-config");
    let configShown = {}, configBot = null;

    // What the form shows for a config value, and back: numbers and null as the API has them.
    function shownValue(key, value) {
      if (key === "custom_commands") return JSON.stringify(value || [], null, 1);
      return value == null ? "" : String(value);
    }

    function fillConfig(name, config, force) {
      // An edit in progress (a field in focus or changed) is not overwritten by a live refresh of the same bot.
      const { body, errors } = changedConfig();
      const editing = configForm.contains(document.activeElement) || errors.length > 0 || Object.keys(body).length > 0;
      if (!force && name === configBot && editing) return;
      configBot = name;
      configShown = {};
      for (const key of configFields) {
        const input = configForm.elements[key];
        if (key === "enabled") input.checked = !!config.enabled;
        else input.value = shownValue(key, config[key]);
        configShown[key] = key === "enabled" ? !!config.enabled : input.value;
      }
      configForm.elements.token.value = "";
      clearFieldErrors();
    }

    function clearFieldErrors() {
      for (const node of configForm.querySelectorAll(".field-error")) node.remove();
      for (const node of configForm.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
    }

    // A nested field (`custom_commands[0].name`) is shown at its top field, with its path.
    function fieldError(key, message) {
      const top = key.split(/[.[]/)[0];
      const input = configFields.includes(top) || top === "token" ? configForm.elements[top] : null;
      const label = input ? input.closest("label") : null;
      if (!label) { $("#bot-config-result").textContent = `${key}: ${message}`; return; }
      input.setAttribute("aria-invalid", "true");
      label.append(el("span", { class: "field-error", dataset: { field: top } }, top === key ? message : `${key.slice(top.length)}: ${message}`));
    }

    // The changed fields only, typed as the API wants them; a field the page cannot read is an error at it.
    function changedConfig() {
      const body = {}, errors = [];
      const token = configForm.elements.token.value;
      if (token) body.token = token;
      for (const key of configFields) {
        const input = configForm.elements[key];
        if (key === "enabled") { if (input.checked !== configShown.enabled) body.enabled = input.checked; continue; }
        const text = input.value.trim();
        if (text === configShown[key]) continue;
        if (key === "custom_commands") {
          try { body[key] = JSON.parse(text || "[]"); } catch (e) { errors.push([key, "not JSON: " + e.message]); }
        } else if (key === "application_id" || key === "prefix") {
          body[key] = text === "" ? null : text;
        } else {
          const n = Number(text);
          if (text === "" || !Number.isFinite(n)) errors.push([key, "a number"]); else body[key] = n;
        }
      }
      return { body, errors };
    }

    configForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const name = $("#bot-select").value;
      clearFieldErrors();
      const result = $("#bot-config-result");
      const { body, errors } = changedConfig();
      if (errors.length) { for (const [k, m] of errors) fieldError(k, m); result.textContent = "not saved"; return; }
      if (Object.keys(body).length === 0) { result.textContent = "nothing changed"; return; }
      result.textContent = "saving";
      try {
        const bot = await api("/api/v1/bots/" + encodeURIComponent(name), { method: "PATCH", body });
        state.bots.set(name, bot);
        updateBotRow(name);
        document.activeElement.blur();
        fillConfig(name, bot.config || {}, true);
        $("#bot-status").textContent = JSON.stringify(bot, null, 2);
        result.textContent = "saved";
      } catch (e) {
        // A 422 names each failing field: its message goes beside it (one the form lacks, in the result).
        result.textContent = "not saved: " + e.message;
        for (const f of e.fields || []) fieldError(f.field, f.message);
      }
    });

    """#
}
