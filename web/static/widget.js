// Candor chat widget. Embed with one tag:
//   <script src="https://support.example.com/static/widget.js" data-title="Kestrel Fibre" defer></script>
// Everything shown is set through textContent or checked URLs: no HTML from the network is
// ever parsed, so customer, agent and article text cannot run script here.
(() => {
  "use strict";
  const script = document.currentScript;
  const base = new URL(script.src, location.href).origin;
  const title = script.dataset.title || "Support";
  const STORE = `candor.conversation.${base}`;
  const HUMAN = "/request_human";

  const host = document.createElement("div");
  host.id = "candor-widget";
  const root = host.attachShadow({ mode: "open" });
  root.innerHTML = `
    <link rel="stylesheet" href="${base}/static/widget.css">
    <button class="launcher" type="button" aria-expanded="false" aria-controls="candor-panel">Chat with us</button>
    <section class="panel" id="candor-panel" role="dialog" aria-labelledby="candor-title" hidden>
      <div class="head">
        <h2 id="candor-title"></h2>
        <button class="close" type="button" aria-label="Close the chat">×</button>
      </div>
      <div class="status" role="status" aria-live="polite"></div>
      <div class="log" role="log" aria-live="polite" aria-label="Conversation" tabindex="0"><ol class="messages"></ol></div>
      <div class="typing" hidden aria-hidden="true"><span></span><span></span><span></span></div>
      <p class="error" role="alert" hidden></p>
      <form class="compose">
        <label for="candor-input" class="visually-hidden">Your message</label>
        <textarea id="candor-input" rows="2" maxlength="4000" placeholder="Ask about prices, plans, contracts…"></textarea>
        <button type="submit" class="send">Send</button>
      </form>
      <div class="actions">
        <button type="button" class="human">Talk to a person</button>
        <button type="button" class="restart" hidden>Start a new conversation</button>
      </div>
    </section>`;
  const $ = (selector) => root.querySelector(selector);
  const panel = $(".panel"), launcher = $(".launcher"), input = $("#candor-input");
  const log = $(".log"), messages = $(".messages");   // the scrolling log, and its list of messages
  const statusLine = $(".status"), typing = $(".typing"), errorLine = $(".error");
  $("#candor-title").textContent = title;

  let conversation = null;       // {id, token}
  let lastSeq = 0;                // highest message seq shown
  let stream = null;              // AbortController of the live event stream
  let status = "bot";
  const payloadTitles = new Map([[HUMAN, "Talk to a person"]]);   // a clicked button shows its title
  let pinned = true;              // the log follows the newest message unless the reader scrolled up

  const safeUrl = (url) => {
    try {
      const parsed = new URL(url, location.href);
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
    } catch { return null; }
  };

  function showError(text) {
    errorLine.textContent = text;
    errorLine.hidden = !text;
  }

  async function api(path, options = {}) {
    const headers = { "Content-Type": "application/json", ...(options.headers || {}) };
    if (conversation) headers.Authorization = `Bearer ${conversation.token}`;
    const response = await fetch(`${base}${path}`, { ...options, headers });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(body.detail || `The service answered ${response.status}.`);
      error.status = response.status;
      error.retryAfter = Number(response.headers.get("Retry-After")) || 0;
      throw error;
    }
    return body;
  }

  // The newest message, its buttons included, stays in view; so does the end of the log when the
  // panel resizes (a status line or the typing dots appear) while the reader is at the bottom.
  function reveal() {
    log.scrollTop = log.scrollHeight;
    pinned = true;
  }
  log.addEventListener("scroll", () => { pinned = log.scrollHeight - log.scrollTop - log.clientHeight < 8; });
  new ResizeObserver(() => { if (pinned) log.scrollTop = log.scrollHeight; }).observe(log);

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  const list = (value) => (Array.isArray(value) ? value : []);

  // A small table: the first cell of each row names it; an empty top-left cell is no header.
  function table(caption, columns, rows, kind) {
    const head = element("tr");
    for (const label of columns) {
      const cell = element(label ? "th" : "td", null, label);
      if (label) cell.scope = "col";
      head.append(cell);
    }
    const body = element("tbody");
    for (const row of rows) {
      const line = element("tr");
      columns.forEach((_, i) => {
        const cell = element(i === 0 ? "th" : "td", null, list(row)[i]);
        if (i === 0) cell.scope = "row";
        line.append(cell);
      });
      body.append(line);
    }
    const grid = element("table");
    const thead = element("thead");
    thead.append(head);
    grid.append(element("caption", null, caption), thead, body);
    const wrap = element("div", `table-wrap ${kind}`);
    wrap.append(grid);
    return wrap;
  }

  function fit(good, poor) {
    const box = element("div", "fit");
    for (const [heading, items, kind] of [["Good for", good, "good"], ["Probably not for", poor, "poor"]]) {
      if (!items.length) continue;
      const entries = element("ul", kind);
      items.forEach((entry) => entries.append(element("li", null, entry)));
      box.append(element("h3", kind, heading), entries);
    }
    return box;
  }

  // The structured transparency beside an answer's (complete) text: shown below it, never instead.
  function structured(details) {
    const blocks = [];
    const costs = list(details.cost_breakdown).filter((cost) => cost && typeof cost === "object");
    if (costs.length) {
      blocks.push(table("What it costs and why", ["Item", "Amount", "Why"],
        costs.map((cost) => [cost.item, cost.amount, cost.note]), "costs"));
    }
    const good = list(details.good_for), poor = list(details.poor_for);
    if (good.length || poor.length) blocks.push(fit(good, poor));
    const comparison = details.comparison || {};
    if (list(comparison.columns).length >= 2 && list(comparison.rows).length) {
      blocks.push(table("Side by side", comparison.columns, comparison.rows, "comparison"));
    }
    if (!blocks.length) return null;
    const box = element("div", "details");
    box.append(...blocks);
    return box;
  }

  // A table wider than the bubble scrolls sideways; it is then a keyboard stop of its own.
  function markScrollable(item) {
    for (const wrap of item.querySelectorAll(".table-wrap")) {
      if (wrap.scrollWidth <= wrap.clientWidth) continue;
      wrap.tabIndex = 0;
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", wrap.querySelector("caption").textContent);
    }
  }

  // Buttons answer the message they came with: once anything is sent after them, they are spent.
  function closeChoices() {
    const open = [...log.querySelectorAll(".buttons button:not(:disabled)")];
    open.forEach((button) => { button.disabled = true; });
    return open;
  }

  function bubble(sender, text, name) {
    const item = document.createElement("li");
    item.className = `message ${sender}`;
    const who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = { customer: "You: ", bot: "Assistant: ", agent: "Support agent: " }[sender] || "";
    if (name) {   // a person's reply says who wrote it, on screen and to screen readers alike
      who.className = "name";
      who.textContent = name;
    }
    const body = document.createElement("p");
    body.textContent = text;
    item.append(who, body);
    messages.append(item);
    reveal();
    return item;
  }

  function render(message) {
    if (message.seq !== undefined) {
      if (message.seq <= lastSeq) return;
      lastSeq = message.seq;
    }
    if (message.sender === "customer") closeChoices();   // a transcript replays what was answered
    const text = message.sender === "customer" ? (payloadTitles.get(message.text) || message.text) : message.text;
    const item = bubble(message.sender, text, message.sender === "agent" ? message.sender_name : null);
    const details = message.details && typeof message.details === "object" ? message.details : {};
    const extra = structured(details);
    if (extra) { item.classList.add("rich"); item.append(extra); }
    list(message.sources).forEach((source, i) => {
      const cite = element("p", "source");
      cite.append(i === 0 && details.shortened === true ? "Read the whole article: " : "Source: ");
      const url = safeUrl(source.url || "");
      const link = document.createElement(url ? "a" : "span");
      if (url) { link.href = url; link.target = "_blank"; link.rel = "noopener noreferrer"; }
      link.textContent = source.title || source.article_id;
      cite.append(link);
      item.append(cite);
    });
    if (list(message.buttons).length) {
      const row = element("div", "buttons");
      for (const button of message.buttons) {
        payloadTitles.set(button.payload, button.title);
        const choice = element("button", null, button.title);
        choice.type = "button";
        choice.addEventListener("click", () => {
          send(button.payload, button.title);
          input.focus();   // the clicked button is now disabled: keyboard focus goes on to typing
        });
        row.append(choice);
      }
      item.append(row);
    }
    markScrollable(item);
    reveal();
  }

  function showStatus(next) {
    status = next.status;
    const queue = next.queue;
    let text = "";
    if (status === "queued") {
      text = queue
        ? `You're number ${queue.position} in the queue for a person (about ${queue.wait_minutes} min). Keep typing: they'll see everything.`
        : "Waiting for a person. Keep typing: they'll see everything.";
    } else if (status === "agent") {
      text = "You're chatting with a person.";
    } else if (status === "closed") {
      text = "This conversation is closed.";
    }
    statusLine.textContent = text;
    statusLine.hidden = !text;
    $(".human").disabled = status !== "bot";
    $(".restart").hidden = status !== "closed";
    $(".compose").hidden = status === "closed";
  }

  async function listen() {
    // fetch, not EventSource: the conversation token travels in a header, never in a URL.
    stream?.abort();
    const controller = new AbortController();
    stream = controller;
    let delay = 1000;
    while (!controller.signal.aborted) {
      try {
        const response = await fetch(`${base}/api/conversations/${conversation.id}/events?after=${lastSeq}`, {
          headers: { Authorization: `Bearer ${conversation.token}`, Accept: "text/event-stream" },
          signal: controller.signal,
        });
        if (!response.ok) throw new Error(`events ${response.status}`);
        delay = 1000;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n/g, "\n");
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            dispatch(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch {
        if (controller.signal.aborted) return;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 15000);
    }
  }

  function dispatch(block) {
    let event = "message", data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data += line.slice(5).trim();
    }
    if (!data) return;
    const parsed = JSON.parse(data);
    if (event === "message" && parsed.sender === "customer") {
      lastSeq = Math.max(lastSeq, parsed.seq);   // already on screen: shown the moment it was sent
    } else if (event === "message") render(parsed);
    else if (event === "status") showStatus(parsed);
  }

  async function start() {
    const saved = JSON.parse(localStorage.getItem(STORE) || "null");
    if (saved) {
      conversation = saved;
      try {
        const current = await api(`/api/conversations/${saved.id}`);
        current.messages.forEach(render);
        showStatus(current);
        listen();
        return;
      } catch (error) {
        if (error.status !== 404 && error.status !== 401) throw error;
        localStorage.removeItem(STORE);   // expired or deleted: start afresh
      }
    }
    conversation = null;
    conversation = await api("/api/conversations", { method: "POST", body: JSON.stringify(newConversation()) });
    localStorage.setItem(STORE, JSON.stringify({ id: conversation.id, token: conversation.token }));
    bubble("bot", `Hi! I answer questions about ${title} honestly, prices and drawbacks included. You can ask for a person at any time.`);
    showStatus({ status: "bot", queue: null });
    listen();
  }

  // This browser's visitor id: links its conversations, and joins them to the customer once the
  // site signs them in (data-customer-id and data-customer-signature, computed on the site's server).
  function newConversation() {
    const VISITOR = `candor.visitor.${base}`;
    let visitor = localStorage.getItem(VISITOR);
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(visitor || "")) {
      visitor = newKey();
      localStorage.setItem(VISITOR, visitor);
    }
    const body = { visitor };
    if (script.dataset.customerId) {
      body.customer = { id: script.dataset.customerId, signature: script.dataset.customerSignature || null };
    }
    return body;
  }

  // One key per message: a retry after a lost answer or a 503 is never stored twice.
  function newKey() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function postMessage(text) {
    const options = { method: "POST", body: JSON.stringify({ text }), headers: { "Idempotency-Key": newKey() } };
    for (let attempt = 1; ; attempt++) {
      try {
        return await api(`/api/conversations/${conversation.id}/messages`, options);
      } catch (error) {
        const transient = error.status === undefined || error.status === 503;  // network error or "retry"
        if (!transient || attempt === 3) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1000 * Math.min(error.retryAfter || attempt, 5)));
      }
    }
  }

  async function send(text, shown) {
    showError("");
    const spent = closeChoices();
    bubble("customer", shown || text);
    typing.hidden = status !== "bot";
    try {
      const reply = await postMessage(text);
      reply.messages.forEach(render);
      showStatus({ status: reply.status, queue: null });
      if (reply.status === "queued") {
        api(`/api/conversations/${conversation.id}`).then(showStatus).catch(() => {});
      }
      return true;
    } catch (error) {
      showError(`Not sent: ${error.message}`);
      spent.forEach((button) => { button.disabled = false; });   // not answered after all
      return false;
    } finally {
      typing.hidden = true;
    }
  }

  $(".compose").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    if (!(await send(text))) input.value = text;   // nothing typed is lost on a failed send
    input.focus();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $(".compose").requestSubmit();
    }
  });
  // The button disables itself once queued, which would drop keyboard focus to the page body
  // (and Escape with it): focus goes on to typing, which the person will read.
  $(".human").addEventListener("click", () => {
    input.focus();
    send(HUMAN, "Talk to a person");
  });
  $(".restart").addEventListener("click", async () => {
    localStorage.removeItem(STORE);
    stream?.abort();
    messages.replaceChildren();
    lastSeq = 0;
    await start();
  });

  let started = null;
  function toggle(open) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      started = started || start().catch((error) => showError(`Chat unavailable: ${error.message}`));
      reveal();
      input.focus();
    } else {
      launcher.focus();
    }
  }
  launcher.addEventListener("click", () => toggle(panel.hidden));
  $(".close").addEventListener("click", () => toggle(false));
  root.addEventListener("keydown", (event) => { if (event.key === "Escape") toggle(false); });
  // Should focus still end up on the bare page (a button it sat on was removed), Escape closes.
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden && document.activeElement === document.body) toggle(false);
  });
  document.body.append(host);
  if (localStorage.getItem(STORE)) toggle(true);   // a reload brings the conversation back open
})();
