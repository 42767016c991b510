"use strict";
/* global Staff, DashboardJourney */
// Journey analytics: headline figures, SVG charts drawn here (no chart library, no CDN),
// content gaps with a "draft an article" link, article performance and agent workload.
(() => {
  const { api, signIn, el } = Staff;
  const SVG = "http://www.w3.org/2000/svg";
  const pct = (v) => (v === null || v === undefined ? "–" : `${Math.round(v * 100)}%`);
  const num = (v) => (v === null || v === undefined ? "–" : String(v));

  function svg(tag, attrs = {}, text = "") {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text) node.textContent = text;
    return node;
  }

  // Horizontal bars: one row per item, the value written at the end of its bar.
  function bars(container, items, max, format) {
    if (!items.length) { container.replaceChildren(el("p", { class: "empty", text: "No data in this period." })); return; }
    const row = 26, width = 520, labelW = 150;
    const chart = svg("svg", { viewBox: `0 0 ${width} ${items.length * row + 4}`, role: "img",
      "aria-label": items.map((i) => `${i.label}: ${format(i.value)}`).join("; ") });
    items.forEach((item, n) => {
      const w = max ? Math.max(2, ((width - labelW - 60) * (item.value || 0)) / max) : 2;
      chart.append(svg("text", { x: 0, y: n * row + 17, class: "label" }, item.label),
        svg("rect", { x: labelW, y: n * row + 4, width: w, height: row - 8, rx: 3, class: "bar" }),
        svg("text", { x: labelW + w + 6, y: n * row + 17, class: "value" }, format(item.value)));
    });
    container.replaceChildren(chart);
  }

  // Daily experience score as a line over daily conversation counts as columns.
  function timeline(container, days) {
    if (!days.length) { container.replaceChildren(el("p", { class: "empty", text: "No data in this period." })); return; }
    const width = 520, height = 200, pad = 28;
    const x = (i) => pad + (days.length === 1 ? (width - 2 * pad) / 2 : (i * (width - 2 * pad)) / (days.length - 1));
    const most = Math.max(...days.map((d) => d.conversations));
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img",
      "aria-label": days.map((d) => `${d.day}: ${d.conversations} conversations, experience ${num(d.experience_score)}`).join("; ") });
    chart.append(svg("line", { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, class: "axis" }));
    days.forEach((d, i) => {
      const h = ((height - 2 * pad) * d.conversations) / most;
      chart.append(svg("rect", { x: x(i) - 6, y: height - pad - h, width: 12, height: h, class: "column" }));
    });
    const points = days.filter((d) => d.experience_score !== null)
      .map((d) => `${x(days.indexOf(d))},${height - pad - ((height - 2 * pad) * d.experience_score) / 100}`);
    chart.append(svg("polyline", { points: points.join(" "), class: "line" }));
    chart.append(svg("text", { x: pad, y: height - 8, class: "label" }, days[0].day),
      svg("text", { x: width - pad, y: height - 8, class: "label end" }, days[days.length - 1].day),
      svg("text", { x: pad, y: 14, class: "label" }, "line: experience score 0–100 · columns: conversations"));
    container.replaceChildren(chart);
  }

  function table(node, head, rows) {
    node.replaceChildren(el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c) => (c instanceof Node ? el("td", {}, c) : el("td", { text: c })))))));
  }

  function sinceDay() {
    const days = document.getElementById("range").value;
    return new Date(Date.now() - days * 86400000).toISOString().slice(0, 10);
  }

  async function load() {
    const since = sinceDay();
    document.getElementById("export").href = `/api/analytics/export.csv?since=${since}`;
    const error = document.querySelector(".error");
    Staff.showError(error, null);
    let s;
    try {
      s = await api(`/api/analytics/summary?since=${since}`);
    } catch (e) {
      Staff.showError(error, e);
      return;
    }
    const kpis = [["Conversations", num(s.conversations)], ["Contained (no person needed)", pct(s.containment_rate)],
      ["Escalated", pct(s.escalation_rate)], ["Satisfaction (1–5)", num(s.satisfaction)],
      ["Rated by customers", num(s.rated_satisfaction)], ["Experience score", num(s.experience_score)]];
    document.querySelector(".kpis").replaceChildren(...kpis.map(([label, value]) =>
      el("div", { class: "kpi" }, el("span", { class: "value", text: value }), el("span", { text: label }))));
    timeline(document.getElementById("chart-time"), s.over_time);
    const reasons = Object.entries(s.escalations_by_reason).map(([label, value]) => ({ label, value }));
    bars(document.getElementById("chart-reasons"), reasons, Math.max(1, ...reasons.map((r) => r.value)), String);
    const stages = Object.entries(s.by_stage);
    bars(document.getElementById("chart-stages"),
      stages.map(([label, v]) => ({ label: `${label} (${v.conversations})`, value: v.experience_score })), 100, num);
    bars(document.getElementById("chart-satisfaction"),
      stages.map(([label, v]) => ({ label, value: v.satisfaction })), 5, num);
    document.getElementById("gaps").replaceChildren(...(s.content_gaps.length ? s.content_gaps.map((g) =>
      el("li", {}, el("strong", { text: g.representative }), el("span", { text: ` · asked ${g.size}× ` }),
        el("a", { href: `/editor?question=${encodeURIComponent(g.representative)}`, text: "Draft an article" }),
        el("details", {}, el("summary", { text: "Questions in this group" }),
          el("ul", {}, ...g.questions.map((q) => el("li", { text: q })))))) : [el("li", { text: "None: every question found an answer." })]));
    table(document.getElementById("articles"), ["Article", "Used", "Helpful rate", "Yes / No", "Escalations after"],
      s.articles.slice(0, 20).map((a) => [a.title, num(a.used), pct(a.helpful_rate), `${a.helpful} / ${a.unhelpful}`, num(a.escalations_after)]));
    table(document.getElementById("agents"), ["Agent", "Escalations handled", "Closed", "Median first response (s)", "Median handle time (s)"],
      s.agents.map((a) => [a.agent, num(a.escalations_handled), num(a.closed), num(a.median_first_response_s), num(a.median_handle_s)]));
    const csat = (rows) => (rows.length ? rows.map((r) => [r.title || r.name, pct(r.csat), `${r.satisfied} of ${r.ratings}`])
      : [["No ratings in this period", "–", "–"]]);
    table(document.getElementById("csat-agents"), ["Agent", "CSAT (rated 4–5)", "Ratings"], csat(s.csat.agents));
    table(document.getElementById("csat-teams"), ["Team", "CSAT (rated 4–5)", "Ratings"], csat(s.csat.teams));
    table(document.getElementById("csat-articles"), ["Article", "CSAT (rated 4–5)", "Ratings"], csat(s.csat.articles.slice(0, 20)));
    const met = (c) => `${c.met} of ${c.total}`;
    table(document.getElementById("sla"), ["Team", "SLAs met", "First response met", "Next response met"],
      s.sla.length ? s.sla.map((t) => [t.team, pct(t.met_rate), met(t.first_response), met(t.next_response)])
        : [["No replies due in this period", "–", "–", "–"]]);
  }

  async function main() {
    await signIn(["editor", "admin"]);
    const journey = () => DashboardJourney.load(sinceDay());
    document.getElementById("range").addEventListener("change", () => { load(); journey(); });
    document.getElementById("within").addEventListener("change", journey);
    await Promise.all([load(), journey()]);
  }

  main();
})();
