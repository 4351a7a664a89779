import Discord

extension DashboardAssets {
    /// The jobs page: bulk jobs with live progress, and a composer for bulk messages that checks Discord's
    /// limits (`MessageLimits`, the numbers the API enforces, written into the script here) before it sends,
    /// so an over-long message is refused in the page and nothing is posted.
    static let jobsScript = #"""
    // MARK: Jobs

    const limits = { content: \#(MessageLimits.content), title: \#(MessageLimits.title),
                     description: \#(MessageLimits.description), embedTotal: \#(MessageLimits.embedTotal),
                     targets: \#(JobsAPI.maximumTargets) };

    async function loadJobs() {
      const page = await api("/api/v1/jobs?limit=50");
      $("#jobs-table tbody").replaceChildren(...page.jobs.map((j) => {
        const p = j.progress || {};
        const row = el("tr", { dataset: { job: j.id } }, el("td", {}, j.id), el("td", {}, j.kind), el("td", {}, j.state),
          el("td", {}, `${(p.succeeded || 0) + (p.failed || 0) + (p.cancelled || 0)}/${p.total || 0} (${p.failed || 0} failed)`),
          el("td", {}, new Date(j.created_at).toLocaleString()));
        row.addEventListener("click", async () => {
          const detail = $("#job-detail");
          detail.hidden = false;
          detail.textContent = JSON.stringify(await api("/api/v1/jobs/" + encodeURIComponent(j.id)), null, 2);
        });
        return row;
      }));
    }
    loaders.jobs = () => { fillComposerBots(); return loadJobs().catch(() => {}); };
    const jobsChanged = debounced(() => { if (!$("#jobs").hidden) loadJobs().catch(() => {}); }, 300);
    topicHandlers.jobs = jobsChanged;

    // MARK: The bulk message composer

    const composer = { targets: [] };
    $("#composer-limit").textContent = String(limits.content);

    // Controls by name through `elements`: a control named like a form property (title) must not depend on which wins.
    const field = (name) => $("#composer").elements.namedItem(name);

    function fillComposerBots() {
      const select = field("bot");
      const current = select.value;
      select.replaceChildren(...[...state.bots.keys()].sort().map((n) => el("option", { value: n }, n)));
      if (current && state.bots.has(current)) select.value = current;
    }

    function renderTargets() {
      $("#composer-targets").replaceChildren(...composer.targets.map((t, i) => {
        const remove = el("button", { type: "button", title: "remove" }, "×");
        remove.addEventListener("click", () => { composer.targets.splice(i, 1); renderTargets(); });
        return el("li", { dataset: { bot: t.bot, channel: t.channel_id } }, `${t.bot} → #${t.channel_id}`, remove);
      }));
    }

    $("#composer-add").addEventListener("click", () => {
      const bot = field("bot").value;
      for (const channel of field("channels").value.split(/[\s,]+/).filter(Boolean)) {
        if (bot && !composer.targets.some((t) => t.bot === bot && t.channel_id === channel)) composer.targets.push({ bot, channel_id: channel });
      }
      field("channels").value = "";
      renderTargets();
    });

    field("content").addEventListener("input", (event) => {
      const n = chars(event.target.value);
      const count = $("#composer-count");
      count.textContent = String(n);
      count.classList.toggle("error", n > limits.content);
    });

    // The message as the API takes it, and what is wrong with it by Discord's limits (empty: send it).
    function composedMessage() {
      const message = { targets: composer.targets.slice() };
      const problems = [];
      const content = field("content").value, title = field("title").value, description = field("description").value;
      if (content) message.content = content;
      if (title || description) {
        const embed = {};
        if (title) embed.title = title;
        if (description) embed.description = description;
        message.embeds = [embed];
      }
      if (message.targets.length === 0) problems.push("targets: pick a bot and add at least one channel id");
      if (message.targets.length > limits.targets) problems.push(`targets: at most ${limits.targets} per job`);
      for (const t of message.targets) {
        if (!/^[0-9]{1,20}$/.test(t.channel_id)) problems.push(`targets: ${t.channel_id} is not a channel id (digits only)`);
      }
      if (!content && !message.embeds) problems.push("content: a message needs content or an embed");
      if (chars(content) > limits.content) problems.push(`content: ${chars(content)} characters; Discord allows ${limits.content}`);
      if (chars(title) > limits.title) problems.push(`embed title: ${chars(title)} characters; Discord allows ${limits.title}`);
      if (chars(description) > limits.description) {
        problems.push(`embed description: ${chars(description)} characters; Discord allows ${limits.description}`);
      }
      if (chars(title) + chars(description) > limits.embedTotal) problems.push(`embed: more than ${limits.embedTotal} characters in all`);
      return { message, problems };
    }

    $("#composer").addEventListener("submit", async (event) => {
      event.preventDefault();
      const errors = $("#composer-errors"), result = $("#composer-result");
      result.textContent = "";
      const { message, problems } = composedMessage();
      errors.replaceChildren(...problems.map((p) => el("li", {}, p)));
      if (problems.length > 0) return;
      try {
        const job = await api("/api/v1/bulk/messages", { method: "POST", body: message });
        result.textContent = `job ${job.id}: ${job.progress ? job.progress.total : message.targets.length} messages queued`;
        event.target.reset();
        composer.targets = [];
        renderTargets();
        $("#composer-count").textContent = "0";
        loadJobs().catch(() => {});
      } catch (e) {
        // The API's own check (422 naming the field, 404 for an unknown bot): shown as the page shows its own.
        const lines = e.fields && e.fields.length ? e.fields.map((f) => `${f.field}: ${f.message}`) : [e.message];
        errors.replaceChildren(...lines.map((line) => el("li", {}, line)));
      }
    });

    """#
}
