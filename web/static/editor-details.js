"use strict";
/* global Staff */
/* exported EditorDetails */
// An article's structured transparency in the knowledge editor: a cost article's breakdown
// (item · amount · why, rows added, removed and moved with buttons) and a fit article's "good for"
// and "probably not for" lists with the plan questions' criteria. The checks mirror the server's
// (knowledge/articles.py); its refusals are shown next to the field they are about; the preview
// shows what customers get. Article text only ever goes in with textContent.
const EditorDetails = (() => {
  const { el } = Staff;
  // Money in pounds first, then optional words ("£5 a month"): MONEY in knowledge/articles.py.
  const MONEY = /^-?£(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{2})?(?:(?: +| *\/ *)[^ ].*)?$/;
  const MONEY_HELP = "Amount must be money in pounds, e.g. £12.50, £60 or £5 a month.";
  const FIELDS = [["item", "Item", 200, "Engineer visit"], ["amount", "Amount", 60, "£60.00"], ["note", "Why", 500, ""]];
  const MAX_LINES = 20, MAX_LINE = 300;
  const WRONG_KIND = {
    cost: "Only cost articles show a cost breakdown: remove these rows, or set the kind back to cost.",
    fit: "Only fit articles say who an offer suits: clear these, or set the kind back to fit.",
  };

  let root = null;
  let rows = [];          // the breakdown as edited: [{item, amount, note}]
  let fitWas = null;      // the working copy's fit, so anything this page doesn't show survives a save
  let kind = "howto";
  let sent = [];          // which row each sent row was, to place the server's "cost_breakdown.N" errors
  let changed = () => {};

  const $ = (selector) => root.querySelector(selector);
  const lines = (selector) => $(selector).value.split("\n").map((s) => s.trim()).filter(Boolean);
  const blank = (row) => !`${row.item}${row.amount}${row.note}`.trim();
  const sentence = (text) => { const s = text.charAt(0).toUpperCase() + text.slice(1); return /[.!?]$/.test(s) ? s : `${s}.`; };

  function setError(id, message) {
    const line = root.querySelector(`#${id}-error`);
    const field = root.querySelector(`#${id}`);
    if (line) { line.textContent = message ? sentence(message) : ""; line.hidden = !message; }
    if (field && field.matches("input, textarea")) {
      if (message) field.setAttribute("aria-invalid", "true"); else field.removeAttribute("aria-invalid");
    }
  }

  function clearErrors() {
    for (const line of root.querySelectorAll(".details .field-error")) setError(line.id.replace(/-error$/, ""), null);
  }

  function rowView(row, i) {
    const cells = FIELDS.map(([field, label, max, placeholder]) => {
      const id = `cost-${field}-${i}`;
      const input = el("input", { id, type: "text", maxlength: String(max), "aria-describedby": `${id}-error` });
      if (placeholder) input.placeholder = placeholder;
      input.value = row[field];
      input.addEventListener("input", () => { row[field] = input.value; setError(id, null); showBlocks(); preview(); });
      return el("div", { class: `cell ${field}` }, el("label", { for: id, text: label }), input,
        el("p", { class: "field-error", id: `${id}-error`, hidden: "" }));
    });
    const button = (action, text, label, onclick, disabled) => {
      const b = el("button", { type: "button", class: "small", text, "aria-label": label, "data-action": action, onclick });
      b.disabled = disabled;
      return b;
    };
    const n = i + 1;
    return el("li", {}, el("fieldset", { class: "cost-row" }, el("legend", { text: `Row ${n}` }), ...cells,
      el("div", { class: "row-actions" },
        button("up", "Up", `Move row ${n} up`, () => move(i, -1, "up"), i === 0),
        button("down", "Down", `Move row ${n} down`, () => move(i, 1, "down"), i === rows.length - 1),
        button("remove", "Remove", `Remove row ${n}`, () => remove(i), false))));
  }

  function renderRows() {
    $(".cost-rows").replaceChildren(...rows.map(rowView));
    $(".cost-empty").hidden = rows.length > 0;
    showBlocks();
    preview();
  }

  // Keyboard users keep their place: focus follows the row that moved, or lands next to the one removed.
  function focusButton(index, actions) {
    const item = $(".cost-rows").children[index];
    const target = item && actions.map((a) => item.querySelector(`[data-action="${a}"]`)).find((b) => b && !b.disabled);
    (target || $(".add-row")).focus();
  }

  function move(i, by, action) {
    [rows[i], rows[i + by]] = [rows[i + by], rows[i]];
    renderRows();
    focusButton(i + by, [action, action === "up" ? "down" : "up"]);
    changed();
  }

  function remove(i) {
    rows.splice(i, 1);
    renderRows();
    focusButton(Math.min(i, rows.length - 1), ["remove"]);
    changed();
  }

  function addRow() {
    rows.push({ item: "", amount: "", note: "" });
    renderRows();
    $(`#cost-item-${rows.length - 1}`).focus();
    changed();
  }

  const uses = () => [...root.querySelectorAll('input[name="c-use"]')];

  function criteria() {
    const [min, max, price] = ["#c-min", "#c-max", "#c-price"].map((s) => $(s).value.trim());
    const ticked = uses().filter((box) => box.checked).map((box) => box.value);
    if (!min && !max && !price && !ticked.length) return null;
    return { household_min: Number(min), household_max: Number(max), uses: ticked, monthly_price: Number(price) };
  }

  function readRows() {
    sent = [];
    const out = [];
    rows.forEach((row, i) => {
      if (blank(row)) return;   // an added row left empty is no row
      sent.push(i);
      out.push({ item: row.item.trim(), amount: row.amount.trim(), note: row.note.trim() });
    });
    return out;
  }

  // What the save sends; an empty breakdown or fit is none.
  function read() {
    const costs = readRows();
    const fit = { good_for: lines("#a-good-for"), poor_for: lines("#a-poor-for"), criteria: criteria() };
    const fitEmpty = !fit.good_for.length && !fit.poor_for.length && !fit.criteria;
    return { cost_breakdown: costs.length ? costs : null, fit: fitEmpty ? null : { ...(fitWas || {}), ...fit } };
  }

  // The server's rules, checked before sending; false (with the messages shown) when something is wrong.
  function check() {
    clearErrors();
    const problems = [];
    const { cost_breakdown: costs, fit } = read();
    (costs || []).forEach((row, n) => {
      const i = sent[n];
      if (!row.item) problems.push([`cost-item-${i}`, "Say what this money pays for, e.g. Engineer visit."]);
      if (!MONEY.test(row.amount)) problems.push([`cost-amount-${i}`, MONEY_HELP]);
    });
    if (costs && kind !== "cost") problems.push(["cost-block", WRONG_KIND.cost]);
    for (const [id, list] of [["a-good-for", fit ? fit.good_for : []], ["a-poor-for", fit ? fit.poor_for : []]]) {
      const long = list.findIndex((line) => line.length > MAX_LINE);
      if (list.length > MAX_LINES) problems.push([id, `Keep it to ${MAX_LINES} lines or fewer.`]);
      else if (long >= 0) problems.push([id, `Line ${long + 1} is longer than ${MAX_LINE} characters; shorten it.`]);
    }
    const c = fit && fit.criteria;
    if (c) {
      const whole = (n) => Number.isInteger(n) && n >= 1 && n <= 99;
      const fields = [$("#c-min").value, $("#c-max").value, $("#c-price").value].map((v) => v.trim());
      if (fields.includes("") || !c.uses.length) {
        problems.push(["criteria", "Fill in all of these (and tick at least one use), or leave them all empty."]);
      } else if (!whole(c.household_min) || !whole(c.household_max)) {
        problems.push(["criteria", "Household sizes are whole numbers of people, from 1 to 99."]);
      } else if (c.household_min > c.household_max) {
        problems.push(["criteria", "The smallest household can't be bigger than the largest."]);
      } else if (!(c.monthly_price >= 0)) {
        problems.push(["criteria", "The monthly price is an amount in pounds, e.g. 28 or 28.50."]);
      }
    }
    if (fit && kind !== "fit") problems.push(["fit-block", WRONG_KIND.fit]);
    problems.forEach(([id, message]) => setError(id, message));
    if (problems.length) focusProblem(problems[0][0]);
    return !problems.length;
  }

  function focusProblem(id) {
    const target = root.querySelector(`#${id}`);
    const control = target && (target.matches("input, textarea") ? target : target.querySelector("input, textarea, button"));
    if (control) control.focus();
  }

  // A 422 from the server: its messages about these fields go next to them; the rest stay in the page's error line.
  function explain(error) {
    const left = [];
    let placed = null;
    for (const problem of String(error.message).split("; ")) {
      const m = /^(cost_breakdown|fit)((?:\.\w+)*): (.+)$/s.exec(problem);
      if (!m) { left.push(problem); continue; }
      const [, field, path, message] = m;
      const parts = path.split(".").filter(Boolean);
      let id = field === "fit" ? "fit-block" : "cost-block";
      let text = message;
      if (field === "cost_breakdown" && /^\d+$/.test(parts[0] || "") && parts[1] && sent[Number(parts[0])] !== undefined) {
        id = `cost-${parts[1]}-${sent[Number(parts[0])]}`;
      } else if (field === "fit" && ["good_for", "poor_for"].includes(parts[0])) {
        id = parts[0] === "good_for" ? "a-good-for" : "a-poor-for";
        if (parts[1]) text = `line ${Number(parts[1]) + 1}: ${message}`;
      } else if (field === "fit" && parts[0] === "criteria") {
        id = "criteria";
      }
      if (!root.querySelector(`#${id}-error`)) { left.push(problem); continue; }
      setError(id, text);
      placed = placed || id;
    }
    if (!placed) return error;
    showBlocks();
    focusProblem(placed);
    return new Error(["Not saved: see the messages next to the fields.", ...left].join(" "));
  }

  function preview() {
    const blocks = [];
    const costs = rows.filter((row) => !blank(row));
    if (kind === "cost" && costs.length) {
      const head = el("tr", {}, ...["Item", "Amount", "Why"].map((text) => el("th", { scope: "col", text })));
      const body = costs.map((row) => el("tr", {}, el("th", { scope: "row", text: row.item.trim() }),
        el("td", { text: row.amount.trim() }), el("td", { text: row.note.trim() })));
      blocks.push(el("table", {}, el("caption", { text: "What it costs and why" }), el("thead", {}, head), el("tbody", {}, ...body)));
    }
    if (kind === "fit") {
      for (const [heading, selector] of [["Good for", "#a-good-for"], ["Probably not for", "#a-poor-for"]]) {
        const entries = lines(selector);
        if (entries.length) blocks.push(el("h3", { text: heading }), el("ul", {}, ...entries.map((text) => el("li", { text }))));
      }
    }
    $(".customer-preview").replaceChildren(...(blocks.length ? blocks : [el("p", { class: "hint", text: "Nothing to show yet." })]));
    $(".details-preview").hidden = kind !== "cost" && kind !== "fit";
  }

  // Each block shows for its kind, and for any other kind while it still holds something to clear
  // (hidden again only when the kind changes, so the field being typed in never vanishes).
  function showBlocks(hide = false) {
    const held = { cost: rows.some((row) => !blank(row)), fit: Boolean(read().fit) };
    for (const block of ["cost", "fit"]) {
      if (hide) $(`#${block}-block`).hidden = kind !== block && !held[block];
      if (kind !== block && held[block]) setError(`${block}-block`, WRONG_KIND[block]);
      else if ($(`#${block}-block-error`).textContent === WRONG_KIND[block]) setError(`${block}-block`, null);
    }
  }

  function setKind(next) {
    kind = next;
    showBlocks(true);
    preview();
  }

  function fill(working) {
    rows = (working.cost_breakdown || []).map((row) => ({ item: row.item || "", amount: row.amount || "", note: row.note || "" }));
    fitWas = working.fit || null;
    const fit = fitWas || {};
    $("#a-good-for").value = (fit.good_for || []).join("\n");
    $("#a-poor-for").value = (fit.poor_for || []).join("\n");
    const c = fit.criteria || {};
    $("#c-min").value = c.household_min ?? "";
    $("#c-max").value = c.household_max ?? "";
    $("#c-price").value = c.monthly_price ?? "";
    for (const box of uses()) box.checked = (c.uses || []).includes(box.value);
    kind = working.kind || "howto";
    renderRows();
    showBlocks(true);
  }

  function mount(panel, onChange) {
    root = panel;
    changed = onChange;
    $(".add-row").addEventListener("click", addRow);
    $(".fit-block").addEventListener("input", (event) => {
      setError(event.target.closest(".criteria") ? "criteria" : event.target.id, null);
      showBlocks();
      preview();
    });
  }

  return { mount, fill, setKind, read, check, explain, MONEY };
})();
