"use strict";
/* global Staff, ConsoleWords */
/* exported ConsoleFollowUps */
// E-mail follow-ups in the console: the list of open ones, each e-mail's state in words, a
// follow-up's own view with a reply box that answers by e-mail through the API, the customer's
// earlier conversations beside the live one, and (for admins) the e-mails that failed.
const ConsoleFollowUps = (() => {
  const { api, el, refill, minutesSince } = Staff;
  const W = ConsoleWords;
  let shown = null;            // the follow-up the view shows, as last read

  // Each e-mail of a follow-up on its own line; a failed one stands out, in words and in colour.
  function mailList(mails) {
    if (!mails.length) return [el("li", { text: "No e-mail yet" })];
    return mails.map((m) => el("li", { class: `mail ${m.status}` },
      el("strong", { text: `${W.mailKind(m.kind)}: ` }), el("span", { text: W.mailState(m) })));
  }

  // A follow-up's line in the list, with what its e-mails need from a person.
  function listItem(followUp, open, openId) {
    const trouble = W.mailTrouble(followUp.mails);
    return el("li", { class: `item${followUp.id === openId ? " open" : ""}` },
      el("button", { type: "button", "data-key": `follow-up-${followUp.id}`, onclick: () => open(followUp.id) },
        el("strong", { text: `Follow-up #${followUp.id} · ${followUp.team}` }),
        el("span", { class: "why", text: `${followUp.name ? `${followUp.name}, ` : ""}${followUp.email}` }),
        el("span", { text: `left ${minutesSince(followUp.created_at)} min ago` }),
        trouble ? el("span", { class: "trouble", text: trouble }) : ""));
  }

  // The follow-ups in an escalation's detail (or the customer's others): address, state, e-mails,
  // and a way to answer the open ones.
  function summary(followUps, open) {
    if (!followUps.length) return [el("li", { text: "None" })];
    return followUps.map((f) => el("li", { class: "follow-up" },
      el("strong", { text: `${f.name ? `${f.name}, ` : ""}${f.email}` }),
      el("span", { text: f.status === "open" ? " · waiting for an answer" : ` · done by ${f.done_by}` }),
      f.note ? el("p", { class: "left-note", text: `They wrote: ${f.note}` }) : "",
      el("ul", { class: "mails" }, ...mailList(f.mails)),
      f.status === "open"
        ? el("button", { type: "button", class: "secondary", "data-key": `answer-${f.id}`, onclick: () => open(f.id),
          text: `Answer follow-up #${f.id} by e-mail` })
        : ""));
  }

  // A canned response starts the e-mail: the name the customer left (else none, never raw) and how
  // long they waited are filled in; anything else in braces is selected for the agent to type over.
  function cannedChoice(root, canned, box) {
    const select = root.querySelector("#follow-up-canned");
    select.append(...canned.map((c) => el("option", { value: String(c.id), text: c.title })));
    select.addEventListener("change", () => {
      const chosen = canned.find((c) => String(c.id) === select.value);
      select.value = "";
      if (!chosen || !shown) return;
      const body = W.fill(chosen.body, { customer_name: shown.name, wait: W.waitWords(minutesSince(shown.created_at)) });
      box.value = box.value ? `${box.value} ${body}` : body;
      box.focus();
      const gap = W.firstGap(box.value);
      if (gap) box.setSelectionRange(gap[0], gap[1]);
    });
  }

  // Builds the follow-up view in ``root``; ``changed`` is awaited after each change so the page re-reads.
  function build(root, id, { showError, changed, openEscalation, canned }) {
    root.replaceChildren(document.getElementById("follow-up-template").content.cloneNode(true));
    shown = null;
    const form = root.querySelector(".mail-reply");
    const box = root.querySelector("#follow-up-text");
    const sent = root.querySelector(".sent");
    cannedChoice(root, canned, box);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = box.value.trim();
      showError(null);
      sent.textContent = "";
      if (!text) { showError(new Error("Write the reply first: the e-mail would be empty.")); box.focus(); return; }
      if (W.firstGap(text)) {
        showError(new Error("The reply still has a placeholder in braces: type what it stands for, then send."));
        box.focus();
        return;
      }
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const answer = await api(`/api/follow-ups/${id}/reply`, { method: "POST", body: JSON.stringify({ text }) });
        box.value = "";
        sent.textContent = `Reply #${answer.mail.id} is queued and goes out within seconds; ` +
          "it is also kept in the conversation. Its state shows under E-mails.";
        await changed();
      } catch (error) {
        showError(error);   // the text stays in the box, to send again
      } finally {
        button.disabled = false;
        box.focus();
      }
    });
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); form.requestSubmit(); }
    });
    root.querySelector(".done").addEventListener("click", async () => {
      showError(null);
      try {
        await api(`/api/follow-ups/${id}/done`, { method: "POST" });
        await changed();
      } catch (error) {
        showError(error);
      }
    });
    root.querySelector(".open-conversation").addEventListener("click", () => {
      const escalation = Number(root.querySelector(".open-conversation").dataset.escalation);
      if (escalation) openEscalation(escalation);
    });
  }

  // Fills the view from the follow-up as last read (null: it is done, or not in the agent's teams).
  function render(root, followUp) {
    shown = followUp;
    const title = root.querySelector(".title");
    if (!followUp) {
      title.textContent = "This follow-up is done";
      root.querySelector(".meta").textContent = "Someone marked it done, or it is not for your teams. Pick another from the list.";
      for (const part of root.querySelectorAll(".left-note, .controls, .mail-section, .reply-section")) part.hidden = true;
      return;
    }
    title.textContent = `Follow-up #${followUp.id} · waiting for an answer`;
    root.querySelector(".meta").textContent = `To ${followUp.name ? `${followUp.name}, ` : ""}${followUp.email} · ` +
      `team ${followUp.team} · left ${minutesSince(followUp.created_at)} min ago`;
    const note = root.querySelector(".left-note");
    note.textContent = followUp.note ? `They wrote: ${followUp.note}` : "They left no note.";
    root.querySelector(".mails").replaceChildren(...mailList(followUp.mails));
    const conversation = root.querySelector(".open-conversation");
    conversation.hidden = !followUp.escalation_id;
    conversation.dataset.escalation = String(followUp.escalation_id || "");
  }

  // The customer's earlier conversations, a line each, and their other open follow-ups, beside
  // the live conversation (issue 16: an agent sees what happened last week).
  function history(root, found, open) {
    root.querySelector(".history-who").textContent = W.historyWho(found);
    root.querySelector(".history").replaceChildren(...(found.conversations.length
      ? found.conversations.map((c) => el("li", { text: W.pastLine(c) }))
      : [el("li", { text: found.linked_by ? "None before this one" : "None known" })]));
    const more = root.querySelector(".history-more");
    more.hidden = !found.more;
    more.textContent = found.more ? `And ${found.more} older ones.` : "";
    refill(root.querySelector(".history-follow-ups"), summary(found.open_follow_ups, open));
  }

  // An e-mail about to go out (new, or its retry due within the minute): worth looking again soon.
  // One retried later is left to the page's slow clock.
  const SOON_MS = 60000;
  const dueSoon = (m) => m.status === "queued" &&
    (!m.attempts || !m.next_attempt_at || Date.parse(m.next_attempt_at) - Date.now() < SOON_MS);
  const sendingSoon = (followUps) => followUps.some((f) => f.mails.some(dueSoon));

  // Admins only (GET /api/outbox is theirs): every e-mail that failed or is being retried, follow-up
  // or not (a transcript a customer asked for), with a way to send it again once the cause is fixed.
  const SHOWN = 10;
  async function refreshOutbox(me, refreshAll) {
    const panel = document.getElementById("outbox-panel");
    if (me.role !== "admin") return;
    const [failed, queued] = await Promise.all([api("/api/outbox?status=failed"), api("/api/outbox?status=queued")]);
    const trouble = [...failed, ...queued.filter((m) => m.attempts > 0)];
    panel.hidden = false;
    document.getElementById("outbox-count").textContent = `(${trouble.length})`;
    const line = document.getElementById("outbox-error");
    const again = async (mail) => {
      Staff.showError(line, null);
      try {
        await api(`/api/outbox/${mail.id}/retry`, { method: "POST" });
        await refreshAll();
      } catch (error) {
        Staff.showError(line, error);
      }
    };
    document.getElementById("outbox").replaceChildren(...(trouble.length ? trouble.slice(0, SHOWN).map((m) =>
      el("li", { class: `mail ${m.status}` },
        el("strong", { text: `${W.mailKind(m.kind)} to ${m.to_address}` }),
        el("span", { text: ` ${W.mailState(m)}` }),
        el("button", { type: "button", class: "secondary", onclick: () => again(m),
          text: m.status === "failed" ? `Send e-mail #${m.id} again` : `Try e-mail #${m.id} now` })))
      : [el("li", { class: "empty", text: "None: every e-mail went out" })]));
    if (trouble.length > SHOWN) {
      document.getElementById("outbox").append(el("li", { class: "empty", text: `And ${trouble.length - SHOWN} more.` }));
    }
  }

  return { listItem, summary, history, build, render, mailList, sendingSoon, refreshOutbox };
})();
