"use strict";
/* global Staff, ConsoleWords, ConsoleHandover, ConsoleFollowUps */
// The agent console: queue and own workload, one conversation at a time with its transcript,
// the bot's reasons, replies, notes and resolve, and the e-mail follow-ups with a reply box.
// The server says when to re-read (an event stream woken by every change, in any web worker);
// a slow timer keeps the SLA clocks moving, a quicker one follows e-mails still on their way.
(() => {
  const { api, signIn, el, refill, minutesSince } = Staff;
  const W = ConsoleWords;
  const CLOCK_MS = 30000;
  const MAIL_POLL_MS = 3000;   // while an e-mail shown is queued: its state changes without an event
  const NEAR_BOTTOM_PX = 40;   // "at the newest message" allows for a few pixels of rounding
  let me = null;
  let openId = null;
  let capacity = null;         // how many conversations this agent may hold (null: an admin, no limit)
  let openFollowUp = null;     // the follow-up shown instead of an escalation, if any
  let mailPoll = null;
  let detail = null;           // the open escalation as last read
  let shownSeq = 0;            // the newest message seq the transcript shows
  let canned = [];
  let changes = null;
  const articles = new Map();  // article id → {title, url}, read once per page
  let lastOutside = null;      // where focus was before a dialog opened: it goes back there
  document.addEventListener("focusin", (event) => { if (!event.target.closest("dialog")) lastOutside = event.target; });

  function slaText(escalation) {
    const left = Math.round((Date.parse(escalation.sla_due_at) - Date.now()) / 60000);
    return left >= 0 ? `SLA in ${left} min` : `SLA breached ${-left} min ago`;
  }

  function queueItem(escalation) {
    const late = Date.parse(escalation.sla_due_at) < Date.now();
    return el("li", { class: `item p${escalation.priority}${late ? " late" : ""}${escalation.id === openId ? " open" : ""}` },
      el("button", { type: "button", "data-key": `escalation-${escalation.id}`, onclick: () => openEscalation(escalation.id) },
        el("strong", { text: `#${escalation.id} · P${escalation.priority} · ${escalation.team}` }),
        el("span", { text: ` waiting ${minutesSince(escalation.created_at)} min · ${slaText(escalation)}` }),
        el("span", { class: "why", text: escalation.reasons.map(W.reason).join(" · ") })));
  }

  async function refreshQueues() {
    const [queued, mine, open] = await Promise.all([
      api("/api/escalations?status=queued"),
      api("/api/escalations?status=claimed&mine=true"),
      api("/api/follow-ups"),
    ]);
    refill(document.getElementById("queued"), queued.map(queueItem));
    refill(document.getElementById("mine"), mine.map(queueItem));
    document.getElementById("queued-count").textContent = `(${queued.length})`;
    // "2 of 3": a claim beyond the agent's capacity is refused, so the count says how near it is.
    document.getElementById("mine-count").textContent = capacity ? `(${mine.length} of ${capacity})` : `(${mine.length})`;
    refill(document.getElementById("follow-up-list"), open.length
      ? open.map((f) => ConsoleFollowUps.listItem(f, openFollowUpView, openFollowUp))
      : [el("li", { class: "empty", text: "None waiting" })]);
    document.getElementById("follow-ups-count").textContent = `(${open.length})`;
    await ConsoleFollowUps.refreshOutbox(me, refresh);
  }

  // E-mails go out from the server's own loop, which tells no one: while one shown is still
  // queued, the page looks again shortly.
  function watchMail(queued) {
    clearTimeout(mailPoll);
    if (queued) mailPoll = setTimeout(refresh, MAIL_POLL_MS);
  }

  const root = () => document.getElementById("detail");
  const showError = (error) => Staff.showError(root().querySelector(".error"), error);

  async function act(work) {
    showError(null);
    try {
      await work();
      await Promise.all([refreshQueues(), renderDetail(openId)]);
    } catch (error) {
      showError(error);
    }
  }

  // Sends the box's text; the box is cleared at once, so typing the next message is never
  // wiped by this one finishing, and a failed send gives the text back rather than losing it.
  function postOnSubmit(formSelector, boxSelector, path, check = () => null) {
    root().querySelector(formSelector).addEventListener("submit", (event) => {
      event.preventDefault();
      const box = root().querySelector(boxSelector);
      const text = box.value.trim();
      if (!text) return;
      const problem = check(text);
      if (problem) { showError(new Error(problem)); box.focus(); return; }
      box.value = "";
      act(async () => {
        try {
          await api(path, { method: "POST", body: JSON.stringify({ text }) });
        } catch (error) {
          if (!box.value) box.value = text;
          throw error;
        }
      });
    });
  }

  const unfilled = (text) => (W.firstGap(text)
    ? "The reply still has a placeholder in braces: type what it stands for, then send." : null);

  function cannedOptions() {
    const select = root().querySelector("#canned");
    const words = root().querySelector("#canned-search").value.toLowerCase().split(/\s+/).filter(Boolean);
    const found = canned.filter((c) => words.every((w) => `${c.title} ${c.body}`.toLowerCase().includes(w)));
    select.replaceChildren(
      el("option", { value: "", text: found.length ? `Insert a canned response… (${found.length})` : "No canned response matches" }),
      ...found.map((c) => el("option", { value: String(c.id), text: c.title })));
  }

  function insertCanned(chosen) {
    const box = root().querySelector("#reply-text");
    const first = detail && detail.considered_articles.map((id) => articles.get(id)).find((a) => a && a.url);
    const body = W.fill(chosen.body, {
      customer_name: detail && detail.customer_name,
      wait: detail && W.waitWords(minutesSince(detail.created_at)),
      article_link: first && first.url,
    });
    box.value = box.value ? `${box.value} ${body}` : body;
    box.focus();   // a canned reply is a start: the agent adapts it before sending
    const gap = W.firstGap(box.value);
    if (gap) box.setSelectionRange(gap[0], gap[1]);
  }

  function buildDetail(id) {
    const view = document.getElementById("detail-template").content.cloneNode(true);
    root().replaceChildren(view);
    root().classList.add("with-context");
    detail = null;
    shownSeq = 0;
    const select = root().querySelector("#canned");
    cannedOptions();
    root().querySelector("#canned-search").addEventListener("input", cannedOptions);
    select.addEventListener("change", () => {
      const chosen = canned.find((c) => String(c.id) === select.value);
      select.value = "";
      if (chosen) insertCanned(chosen);
    });
    root().querySelector(".claim").addEventListener("click", () =>
      act(() => api(`/api/escalations/${id}/claim`, { method: "POST" })));
    root().querySelector(".resolve").addEventListener("click", () => askResolution(id));
    root().querySelector(".unclaim").addEventListener("click", () =>
      act(() => api(`/api/escalations/${id}/unclaim`, { method: "POST" })));
    root().querySelector(".transfer").addEventListener("click", async () => {
      const body = await ConsoleHandover.askTransfer(detail, me).catch((error) => { showError(error); return null; });
      if (body) act(() => api(`/api/escalations/${id}/transfer`, { method: "POST", body: JSON.stringify(body) }));
    });
    postOnSubmit(".reply", "#reply-text", `/api/escalations/${id}/messages`, unfilled);
    postOnSubmit(".note", "#note-text", `/api/escalations/${id}/notes`);
    root().querySelector("#reply-text").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        root().querySelector(".reply").requestSubmit();
      }
    });
    const transcript = root().querySelector(".transcript");
    const pill = root().querySelector(".new-messages");
    transcript.addEventListener("scroll", () => { if (atNewest(transcript)) pill.hidden = true; });
    pill.addEventListener("click", () => {
      transcript.scrollTop = transcript.scrollHeight;
      pill.hidden = true;
      transcript.focus();
    });
  }

  // The resolve dialog: modal (the page behind is inert), Escape or Cancel leave things as they
  // were, and focus goes back to where the agent was.
  function askResolution(id) {
    const dialog = document.getElementById("resolve-dialog");
    dialog.querySelector("#resolution").value = "";
    dialog.returnValue = "";
    dialog.showModal();
    dialog.addEventListener("close", () => {
      if (dialog.returnValue !== "resolve") return;
      const toBot = dialog.querySelector("input[name=outcome]:checked").value === "bot";
      const resolution = dialog.querySelector("#resolution").value.trim();
      act(async () => {
        if (resolution) {
          await api(`/api/escalations/${id}/notes`, { method: "POST", body: JSON.stringify({ text: `Resolution: ${resolution}` }) });
        }
        await api(`/api/escalations/${id}/resolve`, { method: "POST", body: JSON.stringify({ return_to_bot: toBot }) });
      });
    }, { once: true });
  }

  // A modal dialog keeps the page behind inert, but Tab from its last control would leave for
  // the browser's own toolbar: it wraps round instead.
  // Focus goes back where the agent was when the dialog opened (Escape, Cancel or done).
  function trapFocus(dialog) {
    dialog.addEventListener("close", () => { if (lastOutside && lastOutside.isConnected) lastOutside.focus(); });
    dialog.addEventListener("keydown", (event) => {
      if (event.key !== "Tab") return;
      const stops = [...dialog.querySelectorAll("input:checked, select, textarea, button")];
      const [first, last] = [stops[0], stops[stops.length - 1]];
      if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
      else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
    });
  }

  async function articleOf(id) {
    if (!articles.has(id)) {
      const found = await api(`/api/articles/${encodeURIComponent(id)}`).catch(() => null);
      // The link customers get is the published article's own page, when it has one.
      const url = found && ((found.published && found.published.url) || (found.working && found.working.url));
      articles.set(id, found ? { title: found.title, url: url || null } : null);
    }
    return articles.get(id);
  }

  async function consideredItems(ids) {
    if (!ids.length) return [el("li", { text: "None" })];
    const found = await Promise.all(ids.map(articleOf));
    return found.map((article, i) => {
      if (!article) return el("li", { text: "An article since removed from the knowledge base" });
      if (article.url) return el("li", {}, el("a", { href: article.url, target: "_blank", rel: "noopener", "data-key": ids[i], text: article.title }));
      // No page of its own: an admin may open it in the editor; an agent reads the title.
      if (me.role === "admin") return el("li", {}, el("a", { href: `/editor?article=${encodeURIComponent(ids[i])}`, "data-key": ids[i], text: article.title }));
      return el("li", { text: article.title });
    });
  }

  const atNewest = (box) => box.scrollHeight - box.scrollTop - box.clientHeight <= NEAR_BOTTOM_PX;

  const senderName = (m) => (m.sender === "agent" ? (m.sender_name || "Agent")
    : { customer: "Customer", bot: "Bot", system: "System" }[m.sender] || W.reason(m.sender));

  // Follows the newest message if the agent was there; otherwise keeps their place and says
  // that something new arrived below.
  function renderTranscript(messages) {
    const box = root().querySelector(".transcript");
    const follow = shownSeq === 0 || atNewest(box);
    const newest = messages.length ? messages[messages.length - 1].seq : 0;
    if (newest === shownSeq && box.children.length === messages.length) return;
    const top = box.scrollTop;
    box.replaceChildren(...messages.map((m) =>
      el("li", { class: `message ${m.sender}` },
        el("span", { class: "sender", text: senderName(m) }),
        el("p", { text: m.text }))));
    const arrived = newest > shownSeq && shownSeq !== 0;
    shownSeq = newest;
    if (follow) box.scrollTop = box.scrollHeight;
    else {
      box.scrollTop = top;
      if (arrived) root().querySelector(".new-messages").hidden = false;
    }
  }

  async function renderDetail(id) {
    if (id === null) return;
    const read = await api(`/api/escalations/${id}`);
    if (id !== openId) return;
    detail = read;
    const r = root();
    r.querySelector(".title").textContent = `Escalation #${read.id} · ${read.status}`;
    r.querySelector(".meta").textContent =
      `Team ${read.team} · priority P${read.priority} · waiting since ${minutesSince(read.created_at)} min · ${slaText(read)}` +
      (read.claimed_by ? ` · held by ${read.claimed_by}` : "");
    r.querySelector(".reasons").replaceChildren(...read.reasons.map((code) => el("li", { text: W.reason(code) })));
    r.querySelector(".evidence").replaceChildren(...read.evidence.flatMap(W.evidence).map((t) => el("li", { text: t })));
    const mine = read.status === "claimed" && read.claimed_by === me.username;
    r.querySelector(".claim").hidden = read.status !== "queued";
    r.querySelector(".resolve").hidden = read.status === "closed";
    r.querySelector(".reply").hidden = !mine;
    r.querySelector(".unclaim").hidden = read.status !== "claimed";
    r.querySelector(".transfer").hidden = read.status === "closed";
    r.querySelector(".timeline").replaceChildren(...(read.timeline || []).map((entry) =>
      el("li", {}, el("time", { datetime: entry.at, text: new Date(entry.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) }),
        el("span", { text: ` ${W.moved(entry)}` }))));
    refill(r.querySelector(".follow-ups"), ConsoleFollowUps.summary(read.follow_ups, openFollowUpView));
    ConsoleFollowUps.history(r, read.history, openFollowUpView);
    watchMail(ConsoleFollowUps.sendingSoon([...read.follow_ups, ...read.history.open_follow_ups]));
    renderTranscript(read.transcript);
    r.querySelector(".notes").replaceChildren(...read.notes.map((n) =>
      el("li", {}, el("strong", { text: `${n.author}: ` }), el("span", { text: n.text }))));
    const considered = await consideredItems(read.considered_articles);
    if (id === openId) refill(r.querySelector(".considered"), considered);
  }

  async function renderFollowUpView() {
    if (openFollowUp === null) return;
    const shown = openFollowUp;
    const found = (await api("/api/follow-ups")).find((f) => f.id === shown) || null;
    if (shown !== openFollowUp) return;
    ConsoleFollowUps.render(root(), found);
    watchMail(found !== null && ConsoleFollowUps.sendingSoon([found]));
  }

  // A follow-up takes the place of the open escalation; focus goes to its heading, so a keyboard
  // user carries on from there (the list's buttons are rebuilt under them).
  async function openFollowUpView(id) {
    openId = null;
    openFollowUp = id;
    detail = null;
    root().classList.remove("with-context");
    ConsoleFollowUps.build(root(), id, {
      showError,
      changed: () => Promise.all([refreshQueues(), renderFollowUpView()]),
      openEscalation,
      canned,
    });
    await renderFollowUpView();
    root().querySelector(".title").focus();
    await refreshQueues();
    follow();
  }

  function refresh() {
    refreshQueues().catch(() => {});
    if (openFollowUp !== null) renderFollowUpView().catch(() => {});
    else renderDetail(openId).catch(() => {});
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
    openFollowUp = null;
    buildDetail(id);
    await renderDetail(id);
    await refreshQueues();
    follow();
  }

  // Alt+letter and Ctrl+Enter: screen readers' browse-mode commands are single keys, so these
  // leave them alone. Only acts on a button the page currently shows.
  function shortcuts(event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || openId === null) return;
    if (document.querySelector("dialog[open]")) return;
    const target = { KeyC: ".claim", KeyR: ".resolve", KeyK: "#canned-search" }[event.code];
    const node = target && root().querySelector(target);
    if (!node || node.hidden || node.closest("[hidden]")) return;
    event.preventDefault();
    if (node.tagName === "BUTTON") node.click(); else node.focus();
  }

  async function main() {
    me = await signIn(["agent", "admin"]);
    document.querySelector(".admin-link").hidden = me.role !== "admin";
    document.addEventListener("keydown", shortcuts);
    trapFocus(document.getElementById("resolve-dialog"));
    trapFocus(document.getElementById("transfer-dialog"));
    ConsoleHandover.presence(me).then((seat) => {
      capacity = seat && seat.capacity;
      return refreshQueues();
    }).catch(() => {});
    canned = await api("/api/canned-responses");
    await refreshQueues();
    follow();
    setInterval(refresh, CLOCK_MS);
  }

  main();
})();
