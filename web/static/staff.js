"use strict";
/* exported Staff */
// Shared by the staff pages: who is signed in, API calls with the CSRF token, safe DOM building.
// Text from customers, agents and articles is only ever set with textContent.
const Staff = (() => {
  let csrf = "";

  async function api(path, options = {}) {
    const headers = { "Content-Type": "application/json", "X-CSRF-Token": csrf, ...(options.headers || {}) };
    const response = await fetch(path, { credentials: "same-origin", ...options, headers });
    if (response.status === 401) {
      location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
      throw new Error("Signed out.");
    }
    if (response.status === 204) return null;
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.detail || `The server answered ${response.status}.`);
    return body;
  }

  async function signIn(roles) {
    const me = await api("/api/auth/me");
    csrf = me.csrf;
    if (!roles.includes(me.role)) {
      document.body.textContent = `This page needs the ${roles.join(" or ")} role; you are ${me.role}.`;
      throw new Error("wrong role");
    }
    document.querySelector(".who").textContent = `${me.username} (${me.role})`;
    document.querySelector(".logout").addEventListener("click", async () => {
      await api("/api/auth/logout", { method: "POST" });
      location.assign("/login");
    });
    return me;
  }

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    node.append(...children);
    return node;
  }

  // Rebuilds a list that is re-read while the user works in it. A button or link that had focus is
  // replaced by a new one: focus moves to the new element with the same data-key, so a keyboard
  // user's next Enter lands where they were instead of on the page's body.
  function refill(list, items) {
    const focused = list.contains(document.activeElement) ? document.activeElement.dataset.key : undefined;
    list.replaceChildren(...items);
    const again = focused && [...list.querySelectorAll("[data-key]")].find((n) => n.dataset.key === focused);
    if (again) again.focus();
  }

  // The page's error line: the message of what failed, or hidden when nothing did.
  function showError(line, error) {
    line.textContent = error ? error.message : "";
    line.hidden = !error;
  }

  // Tab wraps round inside an open dialog instead of leaving for the browser's toolbar.
  function trapFocus(dialog) {
    dialog.addEventListener("keydown", (event) => {
      if (event.key !== "Tab") return;
      const stops = [...dialog.querySelectorAll("input, select, button")].filter((n) => !n.disabled);
      const [first, last] = [stops[0], stops[stops.length - 1]];
      if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
      else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
    });
  }

  // A dialog that changes one row of a table. open(item, from) fills it (fill) and shows it. Saving
  // sends it (send may return the item as it now is, or throw to keep the dialog open with its error),
  // reloads the page's data and closes; "cancel" just closes. On closing, focus goes to the same
  // item's button in the rebuilt table (the one named label(item)), else back where it came from.
  function editDialog({ dialog, form, error, table, title, label, fill, send, reload }) {
    let editing = null;   // the item the dialog changes
    let back = null;      // where focus returns when the dialog closes
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (event.submitter && event.submitter.value === "cancel") { dialog.close(); return; }
      try {
        editing = (await send(editing)) || editing;
        await reload();
        dialog.close();
      } catch (failure) {
        showError(error, failure);
      }
    });
    trapFocus(dialog);
    dialog.addEventListener("close", () => {
      const again = editing && [...table.querySelectorAll("button")]
        .find((b) => b.getAttribute("aria-label") === label(editing));
      (again || back || title).focus();
    });
    return function open(item, from) {
      editing = item;
      back = from;
      fill(item);
      showError(error, null);
      dialog.showModal();
    };
  }

  function minutesSince(iso) {
    return Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60000));
  }

  return { api, signIn, el, refill, editDialog, minutesSince, showError, trapFocus };
})();
