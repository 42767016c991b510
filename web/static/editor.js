"use strict";
/* global Staff, EditorDetails */
// The knowledge editor: filterable article list, markdown editing with a sanitized preview,
// draft → publish, version history with diffs and restore, per-article stats, and a box that
// asks the live index what the bot would answer. A cost or fit article's structured part is
// EditorDetails' (editor-details.js).
(() => {
  const { api, signIn, el } = Staff;
  const Details = EditorDetails;
  const $ = (selector, root = document) => root.querySelector(selector);
  let current = null;      // the open article as the API last returned it; null for a new one
  let dirty = false;       // unsaved typing, so leaving the page asks first

  const percent = (rate) => (rate === null ? "not rated yet" : `${Math.round(rate * 100)}% helpful`);
  const statsText = (s) => `used ${s.used}× · ${percent(s.helpful_rate)} (${s.helpful} yes, ${s.unhelpful} no) · ${s.escalations_after} escalations after it`;

  async function loadList() {
    const params = new URLSearchParams();
    for (const [key, id] of [["q", "filter-q"], ["kind", "filter-kind"], ["status", "filter-status"], ["tag", "filter-tag"]]) {
      const value = $(`#${id}`).value.trim();
      if (value) params.set(key, value);
    }
    const articles = await api(`/api/articles?${params}`);
    $("#article-count").textContent = `(${articles.length})`;
    $("#articles").replaceChildren(...articles.map((a) =>
      el("li", { class: `item${current && current.id === a.id ? " open" : ""}` },
        el("button", { type: "button", onclick: () => openArticle(a.id) },
          el("strong", { text: a.title }),
          el("span", { text: `${a.kind} · ${a.status}${a.has_draft ? " · unpublished changes" : ""}` }),
          el("span", { class: "why", text: statsText(a.stats) })))));
  }

  const showError = (error) => Staff.showError($("#article .error"), error);

  async function act(work) {
    showError(null);
    try {
      await work();
    } catch (error) {
      showError(error);
    }
  }

  function readForm() {
    const lines = (id) => $(id).value.split("\n").map((s) => s.trim()).filter(Boolean);
    const working = current ? { ...current.working } : {};
    delete working.status;   // the status moves with publish/archive, never with a save
    return {
      ...working,
      title: $("#a-title").value,
      kind: $("#a-kind").value,
      body: $("#a-body").value,
      tags: $("#a-tags").value.split(",").map((s) => s.trim()).filter(Boolean),
      questions: lines("#a-questions"),
      url: $("#a-url").value.trim() || null,
      ...Details.read(),
    };
  }

  let previewTimer = null;
  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(async () => {
      const body = $("#a-body").value;
      // The server renders with markdown-it and cleans with nh3, so only safe tags come back.
      const { html } = await api("/api/articles/preview", { method: "POST", body: JSON.stringify({ body }) });
      $("#article .preview").innerHTML = html;
    }, 250);
  }

  function diffView(text) {
    const kind = (line) => (/^(\+\+\+|---|@@)/.test(line) ? "hunk" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "");
    return el("pre", { class: "diff" }, ...text.split("\n").map((line) => el("span", { class: kind(line), text: `${line}\n` })));
  }

  async function renderVersions(id) {
    const versions = await api(`/api/articles/${encodeURIComponent(id)}/versions`);
    $("#article .versions").replaceChildren(...versions.map((v) => {
      const item = el("li", {},
        el("span", { text: `v${v.version} · ${v.note || "saved"} · ${v.author || "unknown"} · ${new Date(v.created_at).toLocaleString()} ` }));
      const show = el("button", { type: "button", class: "small", text: "Diff", onclick: () => {
        const open = $("pre", item);
        if (open) open.remove(); else item.append(diffView(v.diff || "(no change)"));
      } });
      const restore = el("button", { type: "button", class: "small", text: "Restore as draft", onclick: () => act(async () => {
        await api(`/api/articles/${encodeURIComponent(id)}/versions/${v.version}/restore`, { method: "POST" });
        await openArticle(id);
      }) });
      item.append(show, " ", restore);
      return item;
    }));
  }

  function buildForm() {
    const root = $("#article");
    root.replaceChildren($("#article-template").content.cloneNode(true));
    const form = $(".article-form", root);
    form.addEventListener("input", () => { dirty = true; });
    Details.mount(root, () => { dirty = true; });
    $("#a-kind").addEventListener("change", () => Details.setKind($("#a-kind").value));
    $("#a-body").addEventListener("input", schedulePreview);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act(save);
    });
    const transition = (name, headers = {}) => act(async () => {
      await api(`/api/articles/${encodeURIComponent(current.id)}/${name}`, { method: "POST", headers });
      await openArticle(current.id);
    });
    $(".publish", root).addEventListener("click", () =>
      dirty ? showError(new Error("Save the draft first, then publish it.")) : transition("publish", { "If-Match": String(current.version) }));
    $(".discard", root).addEventListener("click", () => transition("discard-draft"));
    $(".archive", root).addEventListener("click", () => transition("archive"));
    const remove = $(".delete", root);
    remove.addEventListener("click", () => act(async () => {
      // Two clicks instead of a browser dialog: deleting drops the article for good.
      if (remove.dataset.armed !== "yes") {
        remove.dataset.armed = "yes";
        remove.textContent = "Click again to delete for good";
        return;
      }
      await api(`/api/articles/${encodeURIComponent(current.id)}`, { method: "DELETE" });
      current = null;
      dirty = false;
      root.replaceChildren(el("p", { class: "empty", text: "Deleted." }));
      await loadList();
    }));
  }

  async function save() {
    if (!Details.check()) throw new Error("Not saved: see the messages next to the fields.");
    const content = readForm();
    let saved;
    try {
      if (current) {
        saved = await api(`/api/articles/${encodeURIComponent(current.id)}`, {
          method: "PUT", body: JSON.stringify(content), headers: { "If-Match": String(current.version) },
        });
      } else {
        saved = await api("/api/articles", { method: "POST", body: JSON.stringify({ id: $("#a-id").value.trim(), ...content }) });
      }
    } catch (error) {
      throw Details.explain(error);
    }
    dirty = false;
    await openArticle(saved.id);
  }

  function fill(article) {
    const w = article ? article.working : {};
    $("#a-id").value = article ? article.id : "";
    $("#a-id").readOnly = Boolean(article);
    $("#a-title").value = w.title || "";
    $("#a-kind").value = w.kind || "howto";
    $("#a-tags").value = (w.tags || []).join(", ");
    $("#a-url").value = w.url || "";
    $("#a-questions").value = (w.questions || []).join("\n");
    $("#a-body").value = w.body || "";
    Details.fill({ ...w, kind: $("#a-kind").value });
    for (const name of [".publish", ".discard", ".archive", ".delete"]) $(name).hidden = !article;
    if (article) {
      $(".publish").hidden = article.status === "published" && !article.has_draft;
      $(".discard").hidden = !article.has_draft;
      $(".archive").hidden = article.status !== "published";
    }
  }

  async function openArticle(id) {
    if (dirty && !window.confirm("Leave without saving your changes?")) return;
    const article = await api(`/api/articles/${encodeURIComponent(id)}`);
    current = article;
    dirty = false;
    buildForm();
    fill(article);
    $("#article .heading").textContent = article.working.title;
    $("#article .state").textContent = `Version ${article.version} · ${article.status}` +
      (article.has_draft ? " · unpublished changes (customers still get the published text)" : "");
    $("#article .stats").textContent = statsText(article.stats);
    schedulePreview();
    await Promise.all([renderVersions(id), loadList()]);
  }

  function newArticle(question) {
    current = null;
    dirty = false;
    buildForm();
    fill(null);
    $("#article .heading").textContent = "New article";
    $("#article .state").textContent = "Saved as a draft; customers see it once you publish it.";
    if (question) $("#a-questions").value = question;
    $("#a-id").focus();
  }

  async function tryQuestion(event) {
    event.preventDefault();
    const q = $("#try-q").value.trim();
    const out = $("#try-result");
    if (!q) return;
    out.replaceChildren(el("p", { text: "Asking…" }));
    try {
      const r = await api(`/api/search?q=${encodeURIComponent(q)}`);
      const verdict = r.action === "answer"
        ? `Would answer from “${r.answer.title}” (confidence ${r.confidence.toFixed(2)}).`
        : `Would ${r.action === "offer" ? "answer and offer" : "hand over to"} a person from ${r.team} (${r.reasons.join(", ") || "not sure"}; confidence ${r.confidence.toFixed(2)}).`;
      out.replaceChildren(el("p", { class: `verdict ${r.action}`, text: verdict }));
      if (r.answer) out.append(el("blockquote", { text: r.answer.passage }));
      out.append(el("ol", { class: "hits" }, ...r.hits.map((h) =>
        el("li", {}, el("button", { type: "button", class: "link", text: h.title, onclick: () => openArticle(h.article_id) }),
          el("span", { text: ` ${h.kind} · score ${h.score.toFixed(2)}` })))));
    } catch (error) {
      out.replaceChildren(el("p", { class: "error", text: error.message }));
    }
  }

  async function main() {
    await signIn(["editor", "admin"]);
    let timer = null;
    $("#filters").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(loadList, 200); });
    $("#filters").addEventListener("submit", (event) => { event.preventDefault(); loadList(); });
    $("#new-article").addEventListener("click", () => newArticle(""));
    $("#try").addEventListener("submit", tryQuestion);
    window.addEventListener("beforeunload", (event) => { if (dirty) event.preventDefault(); });
    await loadList();
    // The analytics dashboard links here with a question nobody could answer yet.
    const question = new URLSearchParams(location.search).get("question");
    if (question) newArticle(question);
    // The agent console links an article the bot considered here.
    const article = new URLSearchParams(location.search).get("article");
    if (article) openArticle(article);
  }

  main();
})();
