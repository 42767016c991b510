"use strict";
/* global Staff */
/* exported DashboardJourney */
// The dashboard's journey section: customers followed across their conversations. Where they move
// on and where they stall (a stacked bar per stage), days in each stage, repeat contacts after a
// resolution, and customers told "not a fit". Every chart has its numbers in a table beside it.
const DashboardJourney = (() => {
  const { api, el } = Staff;
  const SVG = "http://www.w3.org/2000/svg";
  const STAGE = { awareness: "Awareness", consideration: "Consideration", decision: "Decision",
    retention: "Retention", advocacy: "Advocacy" };
  const OUTCOME = { answered_confirmed: "Answered, customer confirmed", answered_unconfirmed: "Answered, not confirmed",
    resolved_by_agent: "Resolved by a person" };
  const customers = (n) => `${n} customer${n === 1 ? "" : "s"}`;
  const num = (v) => (v === null || v === undefined ? "–" : String(v));
  const pct = (v) => (v === null || v === undefined ? "–" : `${Math.round(v * 100)}%`);
  // Colour is never the only cue: the legend names each part and the table gives every number.
  const PARTS = (n) => [
    ["moved_within", `Moved on within ${n} days`, "#1d5e2c"],
    ["moved_later", `Moved on after more than ${n} days`, "#7fae5a"],
    ["stalled", `Stalled (no later stage after ${n} days)`, "#b3261e"],
    ["waiting", `Too early to tell (under ${n} days so far)`, "#b9c2cc"],
  ];

  function svg(tag, attrs = {}, text = "") {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text) node.textContent = text;
    return node;
  }

  function table(head, rows) {
    return el("table", {}, el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...rows.map((r) => el("tr", {}, el("th", { scope: "row", text: r[0] }),
        ...r.slice(1).map((c) => el("td", { text: c }))))));
  }

  // One bar per stage, split into what happened next; the bar's length is the stage's customers.
  function progressChart(progress, n) {
    const parts = PARTS(n);
    const row = 30, width = 900, labelW = 130, most = Math.max(1, ...progress.map((p) => p.customers));
    const words = progress.map((p) => `${STAGE[p.stage]}: ${p.customers} customers, ` +
      parts.map(([key, label]) => `${p[key]} ${label.toLowerCase()}`).join(", "));
    const chart = svg("svg", { viewBox: `0 0 ${width} ${progress.length * row + 4}`, role: "img",
      "aria-label": `Customers per stage and what came next. ${words.join(". ")}.` });
    progress.forEach((p, i) => {
      chart.append(svg("text", { x: 0, y: i * row + 19, class: "label" }, STAGE[p.stage]));
      let x = labelW;
      for (const [key, , colour] of parts) {
        const w = ((width - labelW - 50) * p[key]) / most;
        if (w > 0) chart.append(svg("rect", { x, y: i * row + 5, width: w, height: row - 10, fill: colour }));
        x += w;
      }
      chart.append(svg("text", { x: x + 6, y: i * row + 19, class: "value" }, String(p.customers)));
    });
    const legend = el("p", { class: "legend" }, ...parts.map(([, label, colour]) => el("span", {},
      (() => { const key = svg("svg", { width: 12, height: 12, "aria-hidden": "true" });
        key.append(svg("rect", { width: 12, height: 12, fill: colour })); return key; })(),
      el("span", { text: ` ${label}    ` }))));
    return [el("div", { class: "chart" }, chart), legend];
  }

  function render(root, j) {
    const n = j.within_days;
    const repeat = j.repeat_contacts, told = j.not_a_fit.told, others = j.not_a_fit.others;
    const stalled = j.progression.filter((p) => p.stalled).sort((a, b) => b.stalled - a.stalled)[0];
    const summary = j.customers
      ? `${customers(j.customers)} had conversations in this period.` +
        (stalled ? ` Most stalled at ${STAGE[stalled.stage].toLowerCase()} (${stalled.stalled}).` : " None stalled.")
      : "No customer could be followed across conversations in this period (anonymous chats on a browser " +
        "without the widget's visitor id are left out).";
    root.replaceChildren(
      el("p", { id: "journey-summary", text: summary }),
      el("h3", { text: "Where customers move on, and where they stall" }),
      ...progressChart(j.progression, n),
      table(["Stage", "Customers", `Moved on within ${n} days`, "Moved on later", "Stalled", "Too early to tell"],
        j.progression.map((p) => [STAGE[p.stage], num(p.customers), num(p.moved_within), num(p.moved_later),
          num(p.stalled), num(p.waiting)])),
      el("h3", { text: "Time in each stage" }),
      table(["Stage", "Average days before the next stage", "Stays that ended", "Still in this stage"],
        j.time_in_stage.map((s) => [STAGE[s.stage], num(s.average_days), num(s.moved_on), num(s.still_there)])),
      el("h3", { text: "Stage to stage" }),
      j.transitions.length
        ? table(["From", "To", "Customers"], j.transitions.map((t) => [STAGE[t.from], STAGE[t.to], num(t.customers)]))
        : el("p", { text: "No customer changed stage in this period." }),
      el("h3", { text: `Resolutions that did not hold (another contact within ${repeat.days} days)` }),
      el("p", { class: "kpi-line", text: repeat.resolved
        ? `${pct(repeat.rate)} of resolved conversations (${repeat.repeated} of ${repeat.resolved}) were followed by ` +
          `another contact from the same customer within ${repeat.days} days.`
        : "No resolved conversation of a known customer in this period." }),
      table(["Outcome", "Resolved", "Contacted again", "Share"],
        repeat.by_resolution.map((r) => [OUTCOME[r.resolution] || r.resolution, num(r.resolved), num(r.repeated),
          pct(r.rate)])),
      el("h3", { text: "Customers told honestly that a plan was not a fit" }),
      table(["Conversations", "Count", "Experience score (0–100)", "Satisfaction (1–5)", "Rated by customers",
        "Average rating"], [
        ["Told “not a fit”", num(told.conversations), num(told.experience_score), num(told.satisfaction),
          num(told.ratings), num(told.rated_satisfaction)],
        ["All others", num(others.conversations), num(others.experience_score), num(others.satisfaction),
          num(others.ratings), num(others.rated_satisfaction)]]),
      el("p", { text: told.customers
        ? `Of the ${customers(told.customers)} told “not a fit”, ${told.came_back} came back for another conversation.`
        : "No known customer was told “not a fit” in this period." }),
    );
  }

  async function load(since) {
    const within = document.getElementById("within").value;
    const root = document.getElementById("journey");
    const error = document.getElementById("journey-error");
    document.getElementById("journey-export").href = `/api/analytics/journey.csv?since=${since}&within_days=${within}`;
    Staff.showError(error, null);
    root.setAttribute("aria-busy", "true");
    try {
      render(root, await api(`/api/analytics/journey?since=${since}&within_days=${within}`));
    } catch (e) {
      Staff.showError(error, e);
    } finally {
      root.removeAttribute("aria-busy");
    }
  }

  return { load };
})();
