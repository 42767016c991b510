"use strict";
/* global Staff */
// Search past conversations from the agent console (GET /api/conversations/search): words, filters,
// results with the matched words marked, and "More results" pages. Snippets arrive as plain text plus
// [start, end) offsets in code points; they are built from text nodes and <mark> elements only, so
// nothing a customer typed can become markup.
(() => {
  const { api, el, showError } = Staff;
  const panel = document.getElementById("conversation-search");
  if (!panel) return;

  const STATUSES = { bot: "with the bot", queued: "waiting for a person", agent: "with an agent", closed: "closed" };
  const STAGES = ["awareness", "consideration", "decision", "retention", "advocacy"];
  const OUTCOMES = {
    answered_confirmed: "answered, confirmed helpful", answered_unconfirmed: "answered, not confirmed",
    not_a_fit: "honestly told not a fit", resolved_by_agent: "resolved by an agent", abandoned: "abandoned",
    unresolved: "unresolved",
  };
  const FIELDS = [   // [name, label, kind, choices]
    ["status", "Status", "select", STATUSES],
    ["stage", "Journey stage", "select", Object.fromEntries(STAGES.map((s) => [s, s]))],
    ["outcome", "Outcome", "select", OUTCOMES],
    ["team", "Team", "text"],
    ["since", "Started on or after", "date"],
    ["until", "Started on or before", "date"],
    ["customer", "Customer id", "text"],
    ["article", "Article id", "text"],
  ];

  function field([name, label, kind, choices]) {
    const id = `search-${name}`;
    const control = kind === "select"
      ? el("select", { id, name }, el("option", { value: "", text: "Any" }),
        ...Object.entries(choices).map(([value, words]) => el("option", { value, text: words })))
      : el("input", { id, name, type: kind, autocomplete: "off", maxlength: "128" });
    return el("div", { class: "search-field" }, el("label", { for: id, text: label }), control);
  }

  const query = el("input", { id: "search-q", name: "q", type: "search", required: "", maxlength: "200",
    autocomplete: "off", "aria-describedby": "search-hint" });
  const form = el("form", { role: "search", "aria-label": "Past conversations" },
    el("label", { for: "search-q", text: "Words in the conversation" }),
    el("div", { class: "search-line" }, query, el("button", { type: "submit", text: "Search" })),
    el("p", { class: "hint", id: "search-hint",
      text: "Every word must appear. Addresses, phone and card numbers are masked and cannot be searched." }),
    el("details", { class: "search-filters" }, el("summary", { text: "Filters" }),
      el("div", { class: "search-grid" }, ...FIELDS.map(field))));
  const status = el("p", { class: "search-status", role: "status" });
  const results = el("ol", { class: "search-results", "aria-label": "Matching conversations" });
  const more = el("button", { type: "button", class: "secondary", text: "More results", hidden: "" });
  const error = el("p", { class: "error", role: "alert", hidden: "" });
  panel.append(el("details", { class: "search-panel" },
    el("summary", {}, el("h2", { id: "search-title", text: "Search past conversations" })),
    form, status, error, results, more));
  panel.hidden = false;

  // The snippet as text nodes, with each matched run in a <mark>; offsets count code points.
  function snippet(text, marks) {
    const chars = Array.from(text);
    const parts = [];
    let at = 0;
    for (const [start, end] of marks) {
      if (start < at || end > chars.length) continue;
      parts.push(chars.slice(at, start).join(""), el("mark", { text: chars.slice(start, end).join("") }));
      at = end;
    }
    parts.push(chars.slice(at).join(""));
    return el("p", { class: "snippet" }, ...parts);
  }

  function day(iso) {
    return new Date(iso).toLocaleDateString([], { day: "numeric", month: "short", year: "numeric" });
  }

  function result(item) {
    const facts = [`Started ${day(item.started_at)}`, STATUSES[item.status] || item.status,
      item.stage ? `${item.stage} stage` : "not scored yet", item.outcome ? OUTCOMES[item.outcome] || item.outcome : "",
      item.customer_id ? `customer ${item.customer_id}` : "anonymous"].filter(Boolean);
    return el("li", { tabindex: "-1" },
      el("p", { class: "meta", text: facts.join(" · ") }), snippet(item.snippet, item.marks),
      el("p", { class: "hint", text: `Conversation ${item.conversation_id}` }));
  }

  let params = null;
  let next = null;

  async function load(fresh) {
    const asked = new URLSearchParams(params);
    if (!fresh && next) asked.set("next", next);
    more.disabled = true;
    showError(error, null);
    try {
      const page = await api(`/api/conversations/search?${asked}`);
      if (fresh) results.replaceChildren();
      const added = page.items.map(result);
      results.append(...added);
      next = page.next;
      more.hidden = !next;
      const count = results.children.length;
      status.textContent = count ? `${count} conversation${count === 1 ? "" : "s"} found${next ? " so far" : ""}.`
        : "No conversation has all of these words.";
      if (!fresh && added.length) added[0].focus();   // keyboard users carry on from the first new one
    } catch (failure) {
      showError(error, failure);
      status.textContent = "";
      if (fresh) { results.replaceChildren(); more.hidden = true; }   // no old results under a new error
    } finally {
      more.disabled = false;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    params = new URLSearchParams();
    for (const control of form.querySelectorAll("[name]")) {
      if (control.value.trim()) params.set(control.name, control.value.trim());
    }
    next = null;
    load(true);
  });
  more.addEventListener("click", () => load(false));
})();
