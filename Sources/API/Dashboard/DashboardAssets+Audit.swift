extension DashboardAssets {
    /// The audit page, for admins: `GET /api/v1/audit` with its filters and cursor (an "Older" button pages
    /// back), and new rows live from the `audit` topic when they match the filters.
    static let auditScript = #"""
    // MARK: Audit

    const audit = { query: {}, cursor: null };

    function auditRow(a) {
      const row = el("tr", { class: a.outcome === "success" ? "" : "failed", dataset: { seq: a.seq == null ? "" : String(a.seq) } },
        el("td", {}, a.time ? new Date(a.time).toLocaleString() : ""), el("td", {}, a.actor), el("td", {}, a.address || ""),
        el("td", {}, a.action), el("td", {}, a.target || ""), el("td", {}, a.outcome), el("td", { class: "muted" }, a.request_id || ""));
      row.addEventListener("click", () => {
        const detail = $("#audit-detail");
        detail.hidden = false;
        detail.textContent = JSON.stringify(a, null, 2);
      });
      return row;
    }

    async function loadAudit(more) {
      const params = new URLSearchParams({ limit: "100" });
      for (const [k, v] of Object.entries(audit.query)) if (v) params.set(k, v);
      if (more && audit.cursor) params.set("cursor", audit.cursor);
      const page = await api("/api/v1/audit?" + params);
      const rows = page.events.map(auditRow);
      if (more) $("#audit-table tbody").append(...rows); else $("#audit-table tbody").replaceChildren(...rows);
      audit.cursor = page.next_cursor || null;
      $("#audit-more").hidden = !audit.cursor;
    }
    loaders.audit = () => { if (isAdmin()) loadAudit(false).catch((e) => alert(e.message)); };

    $("#audit-form").addEventListener("submit", (event) => {
      event.preventDefault();
      // By name through `elements`: `form.action` and `form.target` are also the form's own properties.
      const f = (name) => event.target.elements.namedItem(name).value;
      const ms = (name) => (f(name) ? String(new Date(f(name)).getTime()) : "");
      audit.query = { actor: f("actor"), action: f("action"), target: f("target"), outcome: f("outcome"), from: ms("from"), to: ms("to") };
      loadAudit(false).catch((e) => alert(e.message));
    });
    $("#audit-more").addEventListener("click", () => loadAudit(true).catch((e) => alert(e.message)));

    // A live audit event: its data is the row as the API lists it. Shown on top when the filters (exact matches,
    // as the API's) let it through and no upper time bound excludes it.
    topicHandlers.audit = (e) => {
      const a = Object.assign({ time: e.time }, e.data || {});
      const q = audit.query;
      for (const key of ["actor", "action", "target", "outcome"]) if (q[key] && a[key] !== q[key]) return;
      if (q.to || (q.from && a.time < Number(q.from))) return;
      const body = $("#audit-table tbody");
      const row = auditRow(a);
      row.classList.add("flash");
      body.prepend(row);
    };

    """#
}
