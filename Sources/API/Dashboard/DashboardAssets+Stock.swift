extension DashboardAssets {
    /// The stock page: a catalog's products, a visibility toggle per product (`PATCH` with `If-Match`, so
    /// a change someone else made first is not overwritten unseen) and bulk hide/show of a selection (a job),
    /// for operators and admins only; refreshed live from the `stock` topic.
    static let stockScript = #"""
    // MARK: Stock

    const stock = { catalog: null, products: [] };

    async function loadStock() {
      const select = $("#stock-catalog");
      const catalogs = (await api("/api/v1/catalogs")).catalogs;
      $("#stock-empty").hidden = catalogs.length > 0;
      const wanted = stock.catalog || (catalogs[0] && String(catalogs[0].id));
      select.replaceChildren(...catalogs.map((c) => el("option", { value: String(c.id) }, `${c.name} (${c.id})`)));
      if (wanted && catalogs.some((c) => String(c.id) === wanted)) select.value = wanted;
      stock.catalog = select.value || null;
      await loadProducts();
    }
    loaders.stock = () => loadStock().catch((e) => { $("#stock-status").textContent = e.message; });
    $("#stock-catalog").addEventListener("change", () => { stock.catalog = $("#stock-catalog").value; loaders.stock(); });

    async function loadProducts() {
      if (!stock.catalog) { stock.products = []; $("#stock-table tbody").replaceChildren(); return; }
      const page = await api(`/api/v1/catalogs/${encodeURIComponent(stock.catalog)}/products`);
      stock.products = page.products;
      renderProducts();
    }

    // Prices are in minor units: the currency says how many digits that is (2 for EUR, 0 for JPY).
    function price(p) {
      try {
        const format = new Intl.NumberFormat(undefined, { style: "currency", currency: p.currency });
        return format.format(p.price / 10 ** format.resolvedOptions().maximumFractionDigits);
      } catch (e) {
        return p.price + " " + p.currency;
      }
    }

    function productRow(p) {
      const cells = [];
      // A viewer gets no controls at all, not hidden ones: there is nothing to click.
      if (canOperate()) cells.push(el("td", {}, el("input", { type: "checkbox", class: "select-product", dataset: { sku: p.sku } })));
      let visible;
      if (canOperate()) {
        const toggle = el("input", { type: "checkbox", class: "visible-toggle", dataset: { sku: p.sku }, title: "shown in displays" });
        toggle.checked = p.visible;
        visible = el("td", {}, toggle);
      } else {
        visible = el("td", { class: "visible" }, p.visible ? "shown" : "hidden");
      }
      cells.push(el("td", { class: "sku" }, p.sku), el("td", {}, (p.emoji ? p.emoji + " " : "") + p.name), el("td", {}, p.category || ""),
                 el("td", {}, price(p)), el("td", {}, p.quantity == null ? "unlimited" : p.quantity), visible);
      return el("tr", { class: p.visible ? "" : "hidden-product", dataset: { sku: p.sku, visible: String(p.visible) } }, ...cells);
    }

    function renderProducts() {
      $("#stock-table tbody").replaceChildren(...stock.products.map(productRow));
    }

    function replaceProduct(p) {
      const i = stock.products.findIndex((q) => q.sku === p.sku);
      if (i >= 0) stock.products[i] = p;
      const old = document.querySelector(`#stock-table tr[data-sku="${CSS.escape(p.sku)}"]`);
      if (old) old.replaceWith(productRow(p));
    }

    $("#stock-table").addEventListener("change", async (event) => {
      const toggle = event.target;
      if (!toggle.classList.contains("visible-toggle")) return;
      const product = stock.products.find((p) => p.sku === toggle.dataset.sku);
      if (!product) return;
      toggle.disabled = true;
      try {
        const updated = await api(`/api/v1/catalogs/${encodeURIComponent(stock.catalog)}/products/${encodeURIComponent(product.sku)}`,
          { method: "PATCH", headers: { "If-Match": `"${product.version}"` }, body: { visible: toggle.checked } });
        replaceProduct(updated);
        $("#stock-status").textContent = `${updated.sku} is now ${updated.visible ? "shown" : "hidden"}`;
      } catch (e) {
        // 412: someone changed it first; show what is there now instead of overwriting it.
        $("#stock-status").textContent = e.status === 412 ? `${product.sku} was changed meanwhile; reloaded` : e.message;
        await loadProducts().catch(() => {});
      }
    });

    for (const button of document.querySelectorAll("[data-visibility]")) {
      button.addEventListener("click", async () => {
        const skus = [...document.querySelectorAll("#stock-table .select-product:checked")].map((c) => c.dataset.sku);
        if (skus.length === 0 || !stock.catalog) return;
        const visible = button.dataset.visibility === "true";
        try {
          const job = await api("/api/v1/bulk/products/visibility", { method: "POST",
            body: { skus, visible, catalog_id: Number(stock.catalog) } });
          $("#stock-status").textContent = `job ${job.id}: ${skus.length} products to ${visible ? "show" : "hide"}`;
        } catch (e) {
          $("#stock-status").textContent = e.message;
        }
      });
    }

    // A change to the catalog shown, by anyone: reload its products (a burst of changes, one reload).
    const stockChanged = debounced(() => { if (!$("#stock").hidden) loadProducts().catch(() => {}); }, 200);
    topicHandlers.stock = (e) => {
      if (e.type === "stock.changed" && String(e.data.catalog) === stock.catalog) stockChanged();
    };

    """#
}
