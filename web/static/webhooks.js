"use strict";
/* global Staff */
// Outbound webhooks, for admins: endpoints, their one-time secret, and each endpoint's delivery log.
// The server validates everything; the page shows its words next to what was sent.
(() => {
  const { api, signIn, el } = Staff;
  const $ = (selector) => document.querySelector(selector);
  const EVENTS = {
    "conversation.closed": "A conversation is closed by an agent",
    "escalation.created": "A conversation is escalated to a person",
    "touchpoint.scored": "A conversation's score or outcome changes",
    "customer.stage_changed": "A customer's journey stage changes",
  };
  let endpoints = [];
  let shown = null;     // the endpoint whose deliveries are listed
  let openEdit = null;  // opens the change dialog on an endpoint (Staff.editDialog)

  const when = (iso) => (iso ? iso.replace("T", " ").slice(0, 16) : "");

  function eventBoxes(fieldset, prefix, chosen) {
    fieldset.querySelectorAll("label").forEach((n) => n.remove());
    for (const [name, words] of Object.entries(EVENTS)) {
      const box = el("input", { type: "checkbox", id: `${prefix}-${name}`, value: name });
      box.checked = chosen.includes(name);
      fieldset.append(el("label", { class: "check", for: box.id }, box, `${words} (${name})`));
    }
  }
  const chosenEvents = (fieldset) => [...fieldset.querySelectorAll("input:checked")].map((b) => b.value);

  // What the add form ("new") and the change dialog ("edit") send; the server checks the rest.
  function endpointBody(prefix) {
    const body = { url: $(`#${prefix}-url`).value.trim(), description: $(`#${prefix}-description`).value.trim(),
      events: chosenEvents($(`#${prefix}-events`)) };
    if (!body.events.length) throw new Error("Choose at least one event to send.");
    return body;
  }

  function statusWords(delivery) {
    if (delivery.status === "sent") return `Delivered ${when(delivery.sent_at)}`;
    if (delivery.status === "failed") return `Failed for good: ${delivery.last_error || "no reason recorded"}`;
    if (!delivery.attempts) return "Waiting to be sent";
    return `Waiting to retry at ${when(delivery.next_attempt_at)} (attempt ${delivery.attempts} failed: ${delivery.last_error})`;
  }

  function button(text, label, onclick, extra = "") {
    return el("button", { type: "button", class: `small ${extra}`.trim(), text, "aria-label": label, onclick });
  }

  function endpointRow(endpoint) {
    const name = endpoint.url;
    const actions = el("div", { class: "controls" },
      button("Deliveries", `Deliveries to ${name}`, () => showLog(endpoint)),
      button("Change", `Change ${name}`, (event) => openEdit(endpoint, event.currentTarget), "secondary"),
      button(endpoint.enabled ? "Disable" : "Enable", `${endpoint.enabled ? "Disable" : "Enable"} ${name}`,
        () => change(endpoint, { enabled: !endpoint.enabled },
          endpoint.enabled ? `Disabled ${name}: its deliveries wait until it is enabled.` : `Enabled ${name}.`),
        "secondary"),
      button("Rotate secret", `Rotate the secret of ${name}`, () => rotate(endpoint), "secondary"),
      button("Delete", `Delete ${name}`, () => remove(endpoint), "danger"));
    return el("tr", { class: endpoint.enabled ? "" : "disabled" },
      el("th", { scope: "row", text: name }),
      el("td", { text: endpoint.description }),
      el("td", { text: endpoint.events.join(", ") }),
      el("td", { text: endpoint.enabled ? "Enabled" : "Disabled" }),
      el("td", { text: String(endpoint.queued) }),
      el("td", { text: String(endpoint.failed) }),
      el("td", {}, actions));
  }

  async function load() {
    endpoints = await api("/api/webhooks");
    $("#endpoints tbody").replaceChildren(...endpoints.map(endpointRow));
    $("#no-endpoints").hidden = endpoints.length > 0;
    $("#endpoints").hidden = endpoints.length === 0;
    if (shown) {
      shown = endpoints.find((e) => e.id === shown.id) || null;
      if (shown) await loadLog(); else $("#log-panel").hidden = true;
    }
  }

  function showSecret(endpoint, words) {
    $("#secret-words").textContent = words;
    $("#secret-value").textContent = endpoint.secret;
    $("#secret-panel").hidden = false;
    $("#secret-title").focus();
  }

  async function add(event) {
    event.preventDefault();
    Staff.showError($("#add-error"), null);
    try {
      const made = await api("/api/webhooks", { method: "POST", body: JSON.stringify(endpointBody("new")) });
      event.target.reset();
      await load();
      showSecret(made, `Added ${made.url}. Its signing secret:`);
    } catch (error) {
      Staff.showError($("#add-error"), error);
    }
  }

  async function change(endpoint, body, done) {
    Staff.showError($("#endpoints-error"), null);
    try {
      await api(`/api/webhooks/${endpoint.id}`, { method: "PATCH", body: JSON.stringify(body) });
      $("#endpoints-done").textContent = done;
      await load();
      $("#endpoints-title").focus();
    } catch (error) {
      Staff.showError($("#endpoints-error"), error);
    }
  }

  async function rotate(endpoint) {
    if (!window.confirm(`Make a new secret for ${endpoint.url}? The old one keeps signing for a day.`)) return;
    try {
      const rotated = await api(`/api/webhooks/${endpoint.id}/rotate-secret`, { method: "POST" });
      await load();
      showSecret(rotated, `New secret for ${rotated.url} (the old one still signs until ${when(rotated.previous_secret_until)} UTC):`);
    } catch (error) {
      Staff.showError($("#endpoints-error"), error);
    }
  }

  async function remove(endpoint) {
    if (!window.confirm(`Delete ${endpoint.url} and its delivery log? Nothing more is sent to it.`)) return;
    try {
      await api(`/api/webhooks/${endpoint.id}`, { method: "DELETE" });
      $("#endpoints-done").textContent = `Deleted ${endpoint.url}.`;
      await load();
      $("#endpoints-title").focus();
    } catch (error) {
      Staff.showError($("#endpoints-error"), error);
    }
  }

  function deliveryRow(delivery) {
    const resend = delivery.status === "sent" ? "" : button("Send now", `Send delivery ${delivery.delivery_id} now`,
      () => resendDelivery(delivery));
    return el("tr", {},
      el("td", { text: when(delivery.created_at) }),
      el("td", { text: delivery.event }),
      el("td", { text: statusWords(delivery) }),
      el("td", { text: String(delivery.attempts) }),
      el("td", { text: delivery.response_code ? String(delivery.response_code) : "No answer yet" }),
      el("td", {}, el("code", { text: delivery.delivery_id })),
      el("td", {}, resend));
  }

  async function loadLog() {
    Staff.showError($("#log-error"), null);
    const status = $("#log-status").value;
    try {
      const rows = await api(`/api/webhooks/${shown.id}/deliveries${status ? `?status=${status}` : ""}`);
      $("#deliveries tbody").replaceChildren(...rows.map(deliveryRow));
      $("#no-deliveries").hidden = rows.length > 0;
      $("#deliveries").hidden = rows.length === 0;
    } catch (error) {
      Staff.showError($("#log-error"), error);
    }
  }

  async function showLog(endpoint) {
    shown = endpoint;
    $("#log-title").textContent = `Deliveries to ${endpoint.url}`;
    $("#log-panel").hidden = false;
    await loadLog();
    $("#log-title").focus();
  }

  async function resendDelivery(delivery) {
    try {
      await api(`/api/webhooks/${shown.id}/deliveries/${delivery.id}/retry`, { method: "POST" });
      await load();
    } catch (error) {
      Staff.showError($("#log-error"), error);
    }
  }

  function fill(endpoint) {
    $("#edit-title").textContent = `Change ${endpoint.url}`;
    $("#edit-url").value = endpoint.url;
    $("#edit-description").value = endpoint.description;
    eventBoxes($("#edit-events"), "edit", endpoint.events);
  }

  async function send(endpoint) {
    const body = endpointBody("edit");
    await api(`/api/webhooks/${endpoint.id}`, { method: "PATCH", body: JSON.stringify(body) });
    return { ...endpoint, url: body.url };   // focus returns to the row under its new address
  }

  async function main() {
    await signIn(["admin"]);
    eventBoxes($("#new-events"), "new", []);
    $("#add-endpoint").addEventListener("submit", add);
    $("#log-status").addEventListener("change", loadLog);
    $("#log-refresh").addEventListener("click", () => load());
    $("#secret-copy").addEventListener("click", async () => {
      await navigator.clipboard.writeText($("#secret-value").textContent).catch(() => {});
    });
    $("#secret-done").addEventListener("click", () => {
      $("#secret-value").textContent = "";
      $("#secret-panel").hidden = true;
      $("#endpoints-title").focus();
    });
    openEdit = Staff.editDialog({ dialog: $("#edit-dialog"), form: $("#edit-form"), error: $("#edit-error"),
      table: $("#endpoints"), title: $("#endpoints-title"), label: (endpoint) => `Change ${endpoint.url}`,
      fill, send, reload: load });
    await load();
  }

  main();
})();
