"use strict";
/* global Staff */
/* exported ConsoleHandover */
// Presence (online / away / offline) and moving a conversation on: unclaim (back to the queue)
// and transfer (to a team or a named agent, with a note for whoever takes it next).
const ConsoleHandover = (() => {
  const { api, el } = Staff;
  const PRESENCE_WORDS = { online: "Online", away: "Away", offline: "Offline" };

  // The header's status menu; it shows what the queue sees (away when the console went quiet).
  // Resolves with the agent's own seat (presence, capacity, load), or null for an admin without one.
  async function presence(me) {
    const select = document.getElementById("presence");
    const line = document.getElementById("presence-state");
    const show = (state) => {
      select.value = state.chosen;
      line.textContent = state.status !== state.chosen
        ? `(seen as ${PRESENCE_WORDS[state.status] || state.status})` : "";
    };
    const agents = await api("/api/agents").catch(() => []);
    const mine = agents.find((a) => a.username === me.username);
    if (!mine) { select.closest(".presence").hidden = true; return null; }   // admins without a seat
    show(mine);
    select.addEventListener("change", async () => {
      try {
        show(await api("/api/agents/me/presence", { method: "PUT", body: JSON.stringify({ status: select.value }) }));
      } catch (error) {
        line.textContent = error.message;
      }
    });
    return mine;   // the seat: its capacity is how many conversations the agent may hold
  }

  // Fills the transfer dialog's choices: the teams agents work in and the agents, with their load.
  async function fillTransfer(detail, me) {
    const agents = await api("/api/agents");
    const teams = [...new Set([detail.team, ...agents.flatMap((a) => a.teams)])].sort();
    document.getElementById("transfer-team").replaceChildren(
      ...teams.map((t) => el("option", { value: t, text: t === detail.team ? `${t} (its team now)` : t })));
    document.getElementById("transfer-team").value = detail.team;
    document.getElementById("transfer-agent").replaceChildren(
      el("option", { value: "", text: "Anyone in the team (back to its queue)" }),
      ...agents.filter((a) => a.username !== me.username).map((a) => el("option", { value: a.username,
        text: `${a.username} · ${PRESENCE_WORDS[a.status] || a.status} · ${a.load} of ${a.capacity} conversations` })));
  }

  // Opens the dialog; resolves with the request body, or null when the agent cancelled.
  async function askTransfer(detail, me) {
    const dialog = document.getElementById("transfer-dialog");
    const note = document.getElementById("transfer-note");
    note.value = "";
    await fillTransfer(detail, me);
    dialog.returnValue = "";
    dialog.showModal();
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => {
        if (dialog.returnValue !== "transfer") { resolve(null); return; }
        const agent = document.getElementById("transfer-agent").value;
        const team = document.getElementById("transfer-team").value;
        resolve({ team, ...(agent ? { agent } : {}), note: note.value.trim() });
      }, { once: true });
    });
  }

  return { presence, askTransfer };
})();
