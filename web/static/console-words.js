"use strict";
/* exported ConsoleWords */
// What the console shows instead of the router's internals: reason codes, evidence and intents
// in words an agent reads at a glance, and canned-response placeholders filled from the case.
// Pure functions, no DOM: the console page decides where the words go.
const ConsoleWords = (() => {
  const REASONS = {
    explicit_request: "Asked for a person",
    complaint: "Complaint",
    possible_complaint: "May be a complaint",
    possible_request: "May be asking for a person",
    human_topic: "A topic people handle",
    negative_sentiment: "Customer sounds unhappy",
    repeated_failure: "The bot failed several times",
    bot_unavailable: "The bot was unavailable",
    high_value_decision: "Deciding on a high-value plan",
    verified_deciding_fit_check: "Signed-in customer deciding: offered the fit check",
    repeat_unresolved_contacts: "Earlier contacts this week went unresolved",
    low_confidence: "The bot was not sure of an answer",
    out_of_scope: "Outside what the bot covers",
    smalltalk: "Small talk",
    chosen_by_customer: "The customer chose this article from the bot's suggestions",
  };
  const INTENTS = {
    request_human: "asking for a person",
    complain: "complaining",
    ask_cost: "asking what something costs",
    ask_fit: "asking which plan fits",
    check_fit: "choosing a plan",
    ask_howto: "asking how to do something",
    ask_policy: "asking about a policy",
    ask_tradeoff: "comparing options",
    bot_challenge: "asking whether this is a bot",
    out_of_scope: "asking about something we do not cover",
    greet: "greeting", goodbye: "saying goodbye", thank: "thanking",
    affirm: "saying yes", deny: "saying no", inform: "giving details",
    feedback_helpful: "saying an answer helped", feedback_unhelpful: "saying an answer did not help",
    keep_bot: "choosing to stay with the bot", rate: "rating the help",
    choose_article: "choosing one of the suggested articles",
  };

  // An unknown code still reads as words ("billing_dispute" → "Billing dispute"), never as a code.
  const words = (code) => {
    const text = String(code).replace(/[_-]+/g, " ").trim();
    return text.charAt(0).toUpperCase() + text.slice(1);
  };
  const percent = (share) => `${Math.round(Number(share) * 100)} %`;
  const reason = (code) => REASONS[code] || words(code);
  const intent = (code) => INTENTS[code] || words(code).toLowerCase();

  function mood(sentiment) {
    if (sentiment <= -0.6) return "very unhappy";
    if (sentiment < 0) return "unhappy";
    return "calm";
  }

  // One sentence per piece of evidence; the considered articles have their own list on the page.
  function evidence(item) {
    const out = [];
    if (item.intent !== undefined) {
      const sure = item.intent_confidence !== undefined ? ` (${percent(item.intent_confidence)} sure)` : "";
      out.push(`The customer seemed to be ${intent(item.intent)}${sure}.`);
    }
    if (item.confidence !== undefined) out.push(`Best article match: ${percent(item.confidence)} confidence.`);
    if (item.topic !== undefined) out.push(`Topic: ${words(item.topic).toLowerCase()}.`);
    if (item.sentiment !== undefined) out.push(`The customer sounds ${mood(item.sentiment)}.`);
    if (item.failures_in_a_row !== undefined) {
      out.push(`${item.failures_in_a_row} messages in a row the bot could not answer` +
        `${item.rephrased ? ", rephrased each time" : ""}.`);
    }
    if (Array.isArray(item.suggested) && item.suggested.length) {
      const n = item.suggested.length;
      out.push(`The bot showed ${n} article${n === 1 ? "" : "s"} to choose from.`);
    }
    if (item.vip) out.push("A VIP customer.");
    if (item.plan_price !== undefined) out.push(`Considering a plan at ${item.plan_price} a month.`);
    if (item.journey_stage !== undefined) out.push(`Journey stage: ${item.journey_stage}.`);
    if (item.unresolved_contacts !== undefined) {
      out.push(`${item.unresolved_contacts} earlier contacts this week ended unresolved.`);
    }
    return out;
  }

  const PLACEHOLDER = /\{(wait|article_link)\}/g;

  // {customer_name}, as the server fills it too (web/api/canned.py): the name when known; else it
  // leaves with its comma ("Hi {customer_name}, thanks" → "Hi, thanks"), a sentence it began starts
  // with the next word, and "Dear {customer_name}" reads "Dear customer". Never shown raw.
  function fillName(text, name) {
    if (!text.includes("{customer_name}")) return text;
    if (name) return text.split("{customer_name}").join(name);
    return text.replace(/\b(Dear)\s+\{customer_name\}/g, "$1 customer")
      .replace(/(^|[.!?]\s+)\{customer_name\},?[ \t]*([\p{L}\p{N}_]?)/gmu, (_, lead, next) => lead + next.toUpperCase())
      .replace(/,?[ \t]*\{customer_name\}/g, "");
  }

  // Fills what the case knows; what it does not stays as {name} for the agent to type over.
  function fill(text, known) {
    return fillName(text, known.customer_name).replace(PLACEHOLDER, (whole, name) => (known[name] ? known[name] : whole));
  }

  const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const MAIL_KINDS = { follow_up_ack: "Acknowledgement", follow_up_reply: "Reply", transcript: "Transcript" };
  const mailKind = (code) => MAIL_KINDS[code] || words(code);

  // Where one e-mail is, in words: "Sent 14:02", "Waiting to retry (attempt 2): <why>", "Failed: <why>".
  function mailState(mail) {
    if (mail.status === "sent") return `Sent ${clock(mail.sent_at)}`;
    if (mail.status === "failed") {
      return `Failed: ${mail.last_error || "the mail server would not take it"}. It is not retried by itself; ` +
        "an admin can send it again from the outbox.";
    }
    if (!mail.attempts) return "Queued: goes out within seconds";
    const next = mail.next_attempt_at ? ` Next try at ${clock(mail.next_attempt_at)}.` : "";
    return `Waiting to retry (attempt ${mail.attempts + 1}): ${mail.last_error || "the last try failed"}.${next}`;
  }

  // What a follow-up's e-mails need from a person, for its line in the list ("" when nothing).
  function mailTrouble(mails) {
    if (mails.some((m) => m.status === "failed")) return "An e-mail failed";
    if (mails.some((m) => m.status === "queued" && m.attempts > 0)) return "An e-mail is waiting to retry";
    return "";
  }

  const OUTCOMES = {
    answered_confirmed: "answered, the customer confirmed it helped",
    answered_unconfirmed: "answered",
    not_a_fit: "told honestly it was not a fit",
    resolved_by_agent: "resolved by an agent",
    abandoned: "the customer left",
    unresolved: "not resolved",
  };
  const outcome = (code) => OUTCOMES[code] || words(code).toLowerCase();
  const day = (iso) => new Date(iso).toLocaleDateString([], { day: "numeric", month: "short", year: "numeric" });

  // One earlier conversation on one line: date, stage, outcome, score, the articles by title.
  function pastLine(past) {
    if (!past.stage) return `${day(past.started_at)} · not scored yet`;
    const articles = past.articles.length ? ` · articles: ${past.articles.map((a) => a.title).join(", ")}` : "";
    return `${day(past.started_at)} · ${words(past.stage)} · ${outcome(past.resolution)} · ` +
      `experience ${past.experience_score}/100${articles}`;
  }

  // Who the earlier conversations belong to, in words.
  function historyWho(history) {
    if (history.linked_by === "customer") {
      return `Customer ${history.customer_id}${history.verified ? " (verified by the site)" : " (not verified)"}`;
    }
    if (history.linked_by === "visitor") return "The same browser, not signed in";
    return "Nothing links this customer to earlier conversations.";
  }

  // The first placeholder left in a text, as [start, end], or null when there is none.
  // {customer_name} is not one: the server fills it (or leaves it out) on every reply.
  function firstGap(text) {
    const match = /\{(?!customer_name\})[a-z_]+\}/.exec(text);
    return match ? [match.index, match.index + match[0].length] : null;
  }

  function waitWords(minutes) {
    if (minutes < 1) return "less than a minute";
    return minutes === 1 ? "1 minute" : `${minutes} minutes`;
  }

  const STATUS = { queued: "waiting", claimed: "taken", closed: "resolved" };
  const status = (code) => STATUS[code] || words(code).toLowerCase();

  // One line of an escalation's history (its timeline entries), in words.
  function moved(entry) {
    const who = entry.by || "Candor";
    switch (entry.kind) {
      case "escalation_transition": return `${who}: ${status(entry.old)} → ${status(entry.new)}`;
      case "assigned": return `Given to ${entry.agent} automatically`;
      case "released": return `Back to the queue: ${entry.agent} went offline`;
      case "unclaimed": return `${who} put it back in the queue`;
      case "transferred": return `${who} transferred it to ${entry.agent ? `${entry.agent} (${entry.team})` : `the ${entry.team} team`}`;
      default: return `${who}: ${words(entry.kind).toLowerCase()}`;
    }
  }

  return {
    reason, intent, evidence, fill, fillName, firstGap, waitWords, percent, moved,
    mailState, mailKind, mailTrouble, outcome, pastLine, historyWho, clock,
  };
})();
