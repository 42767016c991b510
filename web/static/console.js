"use strict";
/* global Staff */
// The agent console: queue and own workload, one conversation at a time with its transcript,
// the bot's reasons, replies, notes and resolve. The server says when to re-read (an event
// stream woken by every change, in any web worker); a slow timer keeps the SLA clocks moving.
(() => {
  const { api, signIn, el, minutesSince } = Staff;
  const CLOCK_MS = 30000;
  let me = null;
  let openId = null;
  let canned = [];
  let changes = null;

  function slaText(escalation) {
    const left = Math.round((Date.parse(escalation.sla_due_at) - Date.now()) / 60000);
    return left >= 0 ? `SLA in ${left} min` : `SLA breached ${-left} min ago`;
  }

  function queueItem(escalation) {
    const late = Date.parse(escalation.sla_due_at) < Date.now();
    return el("li", { class: `item p${escalation.priority}${late ? " late" : ""}${escalation.id === openId ? " open" : ""}` },
      el("button", { type: "button", onclick: () => openEscalation(escalation.id) },
        el("strong", { text: `#${escalation.id} · P${escalation.priority} · ${escalation.team}` }),
        el("span", { text: ` waiting ${minutesSince(escalation.created_at)} min · ${slaText(escalation)}` }),
        el("span", { class: "why", text: escalation.reasons.join(", ") })));
  }

  async function refreshQueues() {
    const [queued, mine] = await Promise.all([
      api("/api/escalations?status=queued"),
      api("/api/escalations?status=claimed&mine=true"),
    ]);
    document.getElementById("queued").replaceChildren(...queued.map(queueItem));
    document.getElementById("mine").replaceChildren(...mine.map(queueItem));
    document.getElementById("queued-count").textContent = `(${queued.length})`;
    document.getElementById("mine-count").textContent = `(${mine.length})`;
  }

  const showError = (root, error) => Staff.showError(root.querySelector(".error"), error);

  async function act(root, work) {
    showError(root, null);
    try {
      await work();
      await Promise.all([refreshQueues(), renderDetail(openId)]);
    } catch (error) {
      showError(root, error);
    }
  }

  // Sends the box's text; the box is cleared at once, so typing the next message is never
  // wiped by this one finishing, and a failed send gives the text back rather than losing it.
  function postOnSubmit(root, formSelector, boxSelector, path) {
    root.querySelector(formSelector).addEventListener("submit", (event) => {
      event.preventDefault();
      const box = root.querySelector(boxSelector);
      const text = box.value.trim();
      if (!text) return;
      box.value = "";
      act(root, async () => {
        try {
          await api(path, { method: "POST", body: JSON.stringify({ text }) });
        } catch (error) {
          if (!box.value) box.value = text;
          throw error;
        }
      });
    });
  }

  function buildDetail(id) {
    const root = document.getElementById("detail");
    const view = document.getElementById("detail-template").content.cloneNode(true);
    root.replaceChildren(view);
    const select = root.querySelector("#canned");
    for (const item of canned) select.append(el("option", { value: String(item.id), text: item.title }));
    select.addEventListener("change", () => {
      const chosen = canned.find((c) => String(c.id) === select.value);
      const box = root.querySelector("#reply-text");
      if (chosen) box.value = box.value ? `${box.value} ${chosen.body}` : chosen.body;
      select.value = "";
      box.focus();   // a canned reply is a start: the agent adapts it before sending
    });
    root.querySelector(".claim").addEventListener("click", () =>
      act(root, () => api(`/api/escalations/${id}/claim`, { method: "POST" })));
    root.querySelector(".return").addEventListener("click", () =>
      act(root, () => api(`/api/escalations/${id}/resolve`, { method: "POST", body: JSON.stringify({ return_to_bot: true }) })));
    root.querySelector(".close").addEventListener("click", () =>
      act(root, () => api(`/api/escalations/${id}/resolve`, { method: "POST", body: JSON.stringify({ return_to_bot: false }) })));
    postOnSubmit(root, ".reply", "#reply-text", `/api/escalations/${id}/messages`);
    postOnSubmit(root, ".note", "#note-text", `/api/escalations/${id}/notes`);
  }

  async function renderDetail(id) {
    if (id === null) return;
    const root = document.getElementById("detail");
    const detail = await api(`/api/escalations/${id}`);
    if (id !== openId) return;
    root.querySelector(".title").textContent = `Escalation #${detail.id} · ${detail.status}`;
    root.querySelector(".meta").textContent =
      `Team ${detail.team} · priority P${detail.priority} · waiting since ${minutesSince(detail.created_at)} min · ${slaText(detail)}` +
      (detail.claimed_by ? ` · held by ${detail.claimed_by}` : "");
    const evidence = detail.evidence.map((e) => Object.entries(e).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join("; "));
    root.querySelector(".reasons").textContent = `Why: ${detail.reasons.join(", ")}${evidence.length ? ` (${evidence.join(" | ")})` : ""}`;
    const mine = detail.status === "claimed" && detail.claimed_by === me.username;
    root.querySelector(".claim").hidden = detail.status !== "queued";
    root.querySelector(".return").hidden = detail.status === "closed";
    root.querySelector(".close").hidden = detail.status === "closed";
    root.querySelector(".reply").hidden = !mine;
    root.querySelector(".considered").replaceChildren(
      ...(detail.considered_articles.length ? detail.considered_articles : ["(none)"]).map((a) => el("li", { text: a })));
    root.querySelector(".follow-ups").replaceChildren(
      ...(detail.follow_ups.length ? detail.follow_ups.map((f) => `${f.email} (${f.status})`) : ["(none)"])
        .map((t) => el("li", { text: t })));
    root.querySelector(".transcript").replaceChildren(...detail.transcript.map((m) =>
      el("li", { class: `message ${m.sender}` },
        el("span", { class: "sender", text: m.sender }),
        el("p", { text: m.text }))));
    root.querySelector(".notes").replaceChildren(...detail.notes.map((n) =>
      el("li", {}, el("strong", { text: `${n.author}: ` }), el("span", { text: n.text }))));
  }

  function refresh() {
    refreshQueues().catch(() => {});
    renderDetail(openId).catch(() => {});
  }

  // One stream for the queues and the open conversation; EventSource reconnects by itself,
  // and every (re)connection starts with "ready", after which anything missed is re-read.
  function follow() {
    if (changes) changes.close();
    changes = new EventSource(`/api/escalations/events${openId ? `?open=${openId}` : ""}`);
    changes.addEventListener("ready", refresh);
    changes.addEventListener("changed", refresh);
  }

  async function openEscalation(id) {
    openId = id;
    buildDetail(id);
    await renderDetail(id);
    await refreshQueues();
    follow();
  }

  async function main() {
    me = await signIn(["agent", "admin"]);
    canned = await api("/api/canned-responses");
    await refreshQueues();
    follow();
    setInterval(refresh, CLOCK_MS);
  }

  main();
})();
