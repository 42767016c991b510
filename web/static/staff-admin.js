"use strict";
/* global Staff */
// Staff accounts and the audit log, for admins. The server checks everything (the same rules as
// `candor user add`); the page shows its answer next to the form that was sent.
(() => {
  const { api, signIn, el } = Staff;
  const $ = (selector) => document.querySelector(selector);
  const ROLE_WORDS = { agent: "Agent", editor: "Editor", admin: "Admin" };
  let me = null;
  let accounts = [];
  let openEdit = null;  // opens the change dialog on an account (Staff.editDialog)

  const teamsOf = (text) => text.split(",").map((t) => t.trim().toLowerCase()).filter(Boolean);

  function row(account) {
    const edit = el("button", { type: "button", class: "small", text: "Change",
      "aria-label": `Change ${account.username}`, onclick: (event) => openEdit(account, event.currentTarget) });
    return el("tr", { class: account.disabled ? "disabled" : "" },
      el("th", { scope: "row", text: account.username }),
      el("td", { text: account.shown_to_customers_as }),
      el("td", { text: ROLE_WORDS[account.role] || account.role }),
      el("td", { text: account.teams.length ? account.teams.join(", ") : "Every team" }),
      el("td", { text: String(account.capacity) }),
      el("td", { text: account.disabled ? "Disabled" : "Active" }),
      el("td", {}, edit));
  }

  // Details in words: a change reads "role: agent → admin", never as JSON.
  function detailWords(details) {
    return Object.entries(details).map(([key, value]) => {
      const name = key.replace(/_/g, " ");
      const show = (v) => (Array.isArray(v) ? (v.join(", ") || "none") : v === null ? "none" : String(v));
      if (value && typeof value === "object" && !Array.isArray(value) && "from" in value) {
        return `${name}: ${show(value.from)} → ${show(value.to)}`;
      }
      return `${name}: ${show(value)}`;
    }).join("; ");
  }

  async function load() {
    const [staff, audit] = await Promise.all([api("/api/admin/staff"), api("/api/audit?limit=200")]);
    accounts = staff;
    $("#accounts tbody").replaceChildren(...accounts.map(row));
    $("#audit tbody").replaceChildren(...audit.map((entry) => el("tr", {},
      el("td", { text: entry.at.replace("T", " ").slice(0, 16) }),
      el("td", { text: entry.actor }),
      el("td", { text: entry.action_words }),
      el("td", { text: entry.subject }),
      el("td", { text: detailWords(entry.details) }))));
  }

  async function add(event) {
    event.preventDefault();
    Staff.showError($("#add-error"), null);
    $("#add-done").textContent = "";
    const body = {
      username: $("#new-username").value.trim(),
      password: $("#new-password").value,
      role: $("#new-role").value,
      teams: teamsOf($("#new-teams").value),
      capacity: Number($("#new-capacity").value),
    };
    if ($("#new-display").value.trim()) body.display_name = $("#new-display").value.trim();
    try {
      const added = await api("/api/admin/staff", { method: "POST", body: JSON.stringify(body) });
      event.target.reset();
      $("#add-done").textContent = `Added ${added.username}; customers see “${added.shown_to_customers_as}”.`;
      await load();
    } catch (error) {
      Staff.showError($("#add-error"), error);
    }
  }

  function fill(account) {
    $("#edit-title").textContent = `Change ${account.username}`;
    $("#edit-display").value = account.display_name || "";
    $("#edit-role").value = account.role;
    $("#edit-teams").value = account.teams.join(", ");
    $("#edit-capacity").value = String(account.capacity);
    $("#edit-disabled").checked = account.disabled;
    $("#edit-password").value = "";
  }

  async function send(account) {
    const change = {
      display_name: $("#edit-display").value.trim() || null,
      role: $("#edit-role").value,
      teams: teamsOf($("#edit-teams").value),
      capacity: Number($("#edit-capacity").value),
      disabled: $("#edit-disabled").checked,
    };
    await api(`/api/admin/staff/${account.id}`, { method: "PATCH", body: JSON.stringify(change) });
    const password = $("#edit-password").value;
    if (password) {
      await api(`/api/admin/staff/${account.id}/password`, { method: "POST", body: JSON.stringify({ password }) });
    }
  }

  async function main() {
    me = await signIn(["admin"]);
    $("#add-staff").addEventListener("submit", add);
    openEdit = Staff.editDialog({ dialog: $("#edit-dialog"), form: $("#edit-form"), error: $("#edit-error"),
      table: $("#accounts"), title: $("#accounts-title"), label: (account) => `Change ${account.username}`,
      fill, send, reload: load });
    await load();
    return me;
  }

  main();
})();
