// The seller page (issue 17): the link from a Google Chat notice traded for a session, one order as
// this seller sees it, kept live; its proposal sent, and edited under the edit lock; the messages with
// the buyer. The link and the session's token are secrets: they never reach the console, the address
// bar or the history, only the Authorization header and this tab's sessionStorage.
"use strict";

const LOCALE = "en-GB";
const STORE = "dcent-seller";
const ACTIVE = new Set(["Initiated", "Open", "Paused"]);
const TERMINAL_EVENTS = new Set(["OrderFinalised", "OrderExpired", "OrderFailed"]);
const OPEN_PROPOSAL = new Set(["Submitted", "Locked"]);
const NO_LINK = "Open this page from the link in your Google Chat notice.";
const SESSION_ENDED = "Your session has ended. Open this page again from the link in your Google Chat notice.";
const LABELS = { ProposalID: "Proposal id", Price: "Price", DeliveryDate: "Delivery date", Note: "Note",
  Message: "Your message", ProposalDictObj: "Your proposal", Link: "The link" };

const $ = (selector) => document.querySelector(selector);
const el = (tag, { dataset, ...props } = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  Object.assign(node.dataset, dataset);
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
};
// The API's payloads spell keys in snake_case (timeline) or PascalCase (everything else): read either.
const pick = (object, ...names) => {
  for (const name of names) if (object && object[name] !== undefined && object[name] !== null) return object[name];
  return undefined;
};

// --- words ---------------------------------------------------------------------------------
const money = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 4 });
const quantity = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 4 });
const day = new Intl.DateTimeFormat(LOCALE, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
const moment = new Intl.DateTimeFormat(LOCALE, {
  day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
const clock = new Intl.DateTimeFormat(LOCALE, { hour: "2-digit", minute: "2-digit" });
const clockSeconds = new Intl.DateTimeFormat(LOCALE, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const dayAndClock = new Intl.DateTimeFormat(LOCALE, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });

const price = (value) => (typeof value === "number" && Number.isFinite(value) ? money.format(value) : "no price");
// A delivery date is a calendar day (midnight UTC): shown as that day wherever the seller is.
const deliveryDay = (iso) => (iso ? day.format(new Date(iso)) : "");
const when = (iso) => {
  const date = new Date(iso);
  return new Date().toDateString() === date.toDateString() ? clock.format(date) : dayAndClock.format(date);
};
const timeTag = (iso) => el("time", { dateTime: iso, textContent: when(iso) });

function untilWords(ms, seconds = false) {
  if (ms <= 0) return "now";
  if (seconds && ms < 3600_000) {
    const s = Math.ceil(ms / 1000);
    return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
  }
  if (ms < 60_000) return "less than a minute";
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  return `${Math.floor(hours / 24)} days`;
}

const ORDER_STATE = { Initiated: "Being set up", Open: "Open for proposals", Paused: "Paused by the buyer",
  Finalised: "Closed: the buyer has chosen", Expired: "Expired", Failed: "Failed" };
const PROPOSAL_STATE = { Submitted: "Sent: waiting for the buyer", Locked: "Being edited (locked)",
  Accepted: "Accepted by the buyer", Closed: "Closed" };

function sentence(text) {
  const t = String(text || "").trim();
  return t ? t[0].toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : ".") : "";
}

const fieldOfLoc = (loc) => [...(loc || [])].reverse().find((part) => typeof part === "string" && part in LABELS);

// A refusal (the API's JSON error, or none at all) in words, naming the field when there is one.
class Refusal extends Error {
  constructor(status, body) {
    const detail = body && body.detail;
    super(refusalWords(status, detail));
    this.status = status;
    this.field = Array.isArray(detail) ? detail.map((d) => fieldOfLoc(d.loc)).find(Boolean) : detail && detail.field;
  }
}

function refusalWords(status, detail) {
  if (status === 0) return "Could not reach the server: check your connection and try again.";
  if (Array.isArray(detail)) {
    return detail.map((d) => {
      const field = fieldOfLoc(d.loc);
      const msg = String(d.msg || "is not valid").replace(/^Value error, /, "");
      const label = field ? LABELS[field] : "Your input";
      if (msg.toLowerCase().startsWith(label.toLowerCase())) return sentence(msg);
      return `${label}: ${msg[0].toLowerCase()}${msg.slice(1)}${/[.!?]$/.test(msg) ? "" : "."}`;
    }).join(" ");
  }
  const reason = detail && detail.reason ? String(detail.reason) : "";
  if (status === 409) return conflictWords(reason);
  if (status === 422) return `${detail && detail.field ? LABELS[detail.field] || detail.field : "Your input"}: ${reason}.`;
  if (status === 429) return `You have reached a limit: ${reason}.`;
  if (status === 404) return "This order is not available to you any more.";
  if (status === 403) return `This session may not do that: ${reason}.`;
  if (status === 413) return "That is too long to send.";
  if (status >= 500) return "The service is busy or unavailable; try again in a few seconds.";
  return sentence(reason) || `The request was refused (${status}).`;
}

function conflictWords(reason) {
  const until = /until (\S+?)(?:;|$|\s)/.exec(reason);
  const untilText = until ? ` until ${clockSeconds.format(new Date(until[1]))}` : "";
  if (/is Paused/.test(reason)) return "The buyer has paused this order: you can send or change a proposal again when it resumes.";
  if (/is Finalised/.test(reason)) return "The buyer has already chosen a proposal: this order is closed.";
  if (/is Expired|expired at/.test(reason)) return "This order has expired: it takes no more proposals or messages.";
  if (/is Failed/.test(reason)) return "This order failed: it takes no more proposals or messages.";
  if (/is Initiated/.test(reason)) return "This order is still being set up: try again in a moment.";
  if (/edit-locked/.test(reason)) return `This proposal is being edited elsewhere (another tab or device)${untilText}. Try again then.`;
  if (/can only be released with its LockToken/.test(reason)) return "This proposal is being edited elsewhere (another tab or device); that edit ends by itself.";
  if (/can no longer change/.test(reason)) return "This proposal is closed: it can no longer change.";
  return sentence(reason) || "The order's state does not allow that now.";
}

function linkWords(status, detail) {
  const reason = detail && !Array.isArray(detail) && detail.reason ? String(detail.reason) : "";
  if (/expired/.test(reason)) return "This link has expired — ask for a new notice.";
  if (/not valid yet/.test(reason)) return "This link is not valid yet — check your device's clock, or ask for a new notice.";
  if (status === 401 || status === 422) {
    return "This link cannot be used: it is incomplete or was altered. Open it again from your Google Chat notice, or ask for a new one.";
  }
  return `Could not open your page: ${refusalWords(status, detail)}`;
}

// --- session (this tab only) ------------------------------------------------------------------
const memory = new Map(); // where sessionStorage is unavailable: this page's life only
const storage = {
  get(key) { try { return sessionStorage.getItem(key); } catch { return memory.get(key) ?? null; } },
  set(key, value) { try { sessionStorage.setItem(key, value); } catch { memory.set(key, value); } },
  remove(key) { try { sessionStorage.removeItem(key); } catch { memory.delete(key); } },
};
const sessionKey = (order, seller) => `${STORE}:session:${order}:${seller}`;
const lockKey = (order, proposal) => `${STORE}:lock:${order}:${proposal}`;

function keepSession(answer) {
  storage.set(sessionKey(answer.OrderReqID, answer.SellerID), JSON.stringify(answer));
  storage.set(`${STORE}:current`, JSON.stringify([answer.OrderReqID, answer.SellerID]));
}

function storedSession() {
  try {
    const [order, seller] = JSON.parse(storage.get(`${STORE}:current`) || "null") || [];
    return order ? JSON.parse(storage.get(sessionKey(order, seller)) || "null") : null;
  } catch { return null; }
}

let session = null;
let view = null;
let editing = null; // { proposalId, token, expiresAt } while this tab holds the edit lock
let formMode = null; // "new" | "edit" | null: the form is filled once, when its mode changes

const order = () => session.OrderReqID;
const seller = () => session.SellerID;
const viewPath = () => `/orders/${encodeURIComponent(order())}/sellers/${encodeURIComponent(seller())}`;

async function api(path, { method = "GET", body } = {}) {
  let response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method, cache: "no-store", body: body === undefined ? undefined : JSON.stringify(body),
      headers: { Authorization: `Bearer ${session.Token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    });
  } catch {
    throw new Refusal(0, null);
  }
  const answer = await response.json().catch(() => ({}));
  if (response.status === 401) {
    sessionEnded();
    throw new Refusal(401, { detail: { reason: "the session has ended" } });
  }
  if (!response.ok) throw new Refusal(response.status, answer);
  return answer;
}

// --- messages to the seller ----------------------------------------------------------------------
function say(message) {
  $("#notice").textContent = "";
  const box = $("#message");
  box.textContent = message;
  box.hidden = !message;
}
function notify(message) {
  say("");
  $("#notice").textContent = message; // a status region: read out politely
}
function announce(message) {
  const box = $("#announcer");
  box.textContent = "";
  setTimeout(() => { box.textContent = message; }, 50); // a change, so it is read even when repeated
}
function showRefusal(error, form) {
  say(error.message);
  if (form && error.field && form.elements[error.field]) {
    const input = form.elements[error.field];
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
}
function clearInvalid(form) {
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

function gate(text, retry) {
  stopStream();
  $("#order-page").hidden = true;
  $("#gate").hidden = false;
  $("#gate-text").textContent = text;
  const button = $("#gate-retry");
  button.hidden = !retry;
  button.onclick = retry || null;
  $("#gate-heading").focus();
}

function sessionEnded() {
  if (session) storage.remove(sessionKey(order(), seller()));
  storage.remove(`${STORE}:current`);
  editing = null;
  setLive("off", "Session ended");
  gate(SESSION_ENDED);
}

// --- the view ----------------------------------------------------------------------------------
let refreshing = null;
let refreshAgain = false;

// Re-reads the whole view; calls made meanwhile fold into one more read after it.
function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    try {
      do {
        refreshAgain = false;
        render(await api(viewPath()));
      } while (refreshAgain);
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

const refreshQuietly = () => refresh().catch((error) => { if (error.status !== 401) say(error.message); });

function render(next) {
  const previous = view;
  view = next;
  const o = view.Order;
  document.title = `Order ${o.OrderReqID} — dCent Communicator seller`;
  $("#order-id").textContent = o.OrderReqID;
  const state = $("#order-state");
  state.textContent = ORDER_STATE[o.State] || o.State;
  state.className = `state ${o.State}`;
  if (previous) announceNews(previous, view);

  renderOutcome(o);
  renderDetails(o);
  renderItems(pick(o.Details, "Items", "items") || []);
  const own = holdsLock();
  renderProposals(own);
  renderForm(own);
  renderMessages();
  renderHistory();
  tick();
}

function finalEntry() {
  return [...view.Timeline].reverse().find((e) => TERMINAL_EVENTS.has(e.EventType));
}

function renderOutcome(o) {
  const box = $("#outcome");
  let text = "";
  let kind = "";
  if (o.State === "Finalised") {
    const last = finalEntry();
    const won = last ? Boolean(last.Payload.Won) : view.Proposals.some((p) => p.State === "Accepted");
    kind = won ? "won" : "lost";
    text = won ? "Your proposal was accepted."
      : view.Proposals.length ? "The buyer chose another proposal: yours was closed."
        : "The buyer chose another seller's proposal: this order is closed.";
  } else if (o.State === "Expired") {
    kind = "ended";
    text = "This order has expired: it takes no more proposals or messages.";
  } else if (o.State === "Failed") {
    const last = finalEntry();
    kind = "ended";
    text = `This order could not go ahead${last && last.Payload.Reason ? `: ${last.Payload.Reason}` : ""}.`;
  } else if (o.State === "Paused") {
    kind = "paused";
    text = "The buyer has paused this order: proposals wait until it resumes. You can still exchange messages.";
  } else if (o.State === "Initiated") {
    text = "This order is still being set up.";
  }
  box.textContent = text;
  box.className = `outcome ${kind}`;
  box.hidden = !text;
}

function row(term, ...definition) {
  return [el("dt", { textContent: term }), el("dd", {}, ...definition)];
}

function renderDetails(o) {
  const details = o.Details || {};
  const description = pick(details, "Description", "description");
  const industry = pick(details, "Industry", "industry");
  const distance = o.DistanceKm === null || o.DistanceKm === undefined ? "not known"
    : `${o.DistanceKm.toFixed(1)} km from the buyer${o.DurationS ? `, about ${Math.round(o.DurationS / 60)} min by road` : ""}`;
  const expires = new Date(o.ExpiresAt);
  $("#order-details").replaceChildren(
    ...row("Description", description ? el("span", { className: "description", textContent: description })
      : el("span", { className: "none", textContent: "none given" })),
    ...(industry ? row("Industry", industry) : []),
    ...row("Your distance", distance),
    ...row(ACTIVE.has(o.State) ? "Expires" : "Expiry", el("time", { dateTime: o.ExpiresAt, textContent: moment.format(expires) }),
      el("span", { id: "expires-in", dataset: { at: String(expires.getTime()) } })),
  );
}

function renderItems(items) {
  const body = $("#items tbody");
  if (!items.length) {
    body.replaceChildren(el("tr", {}, el("td", { colSpan: 3, className: "none", textContent: "No items listed: see the description." })));
    return;
  }
  body.replaceChildren(...items.map((item) => el("tr", {},
    el("td", { textContent: pick(item, "name", "Name") || "" }),
    el("td", { className: "num", textContent: quantity.format(Number(pick(item, "quantity", "Quantity") ?? 1)) }),
    el("td", { textContent: pick(item, "unit", "Unit") || "" }))));
}

// The lock this tab holds (from this page's life or, after a reload, this tab's storage); null otherwise.
function holdsLock() {
  if (!editing) {
    for (const p of view.Proposals) {
      const stored = storage.get(lockKey(order(), p.ProposalID));
      if (stored && p.State === "Locked") { editing = JSON.parse(stored); break; }
      if (stored) storage.remove(lockKey(order(), p.ProposalID)); // released or lapsed meanwhile
    }
  }
  if (editing) {
    const p = view.Proposals.find((q) => q.ProposalID === editing.proposalId);
    if (!p || !OPEN_PROPOSAL.has(p.State) || !ACTIVE.has(view.Order.State)) dropLock();
  }
  return editing;
}

function dropLock() {
  if (editing) storage.remove(lockKey(order(), editing.proposalId));
  editing = null;
}

// When another tab or device holds the proposal's lock: until when (the timeline's last lock entry).
function lockedUntil(proposalId) {
  const entry = [...view.Timeline].reverse().find((e) => e.EventType === "EditLock"
    && pick(e.Payload, "proposal_id", "ProposalID") === proposalId);
  const until = entry && pick(entry.Payload, "expires_at", "ExpiresAt");
  return entry && pick(entry.Payload, "locked", "Locked") && until ? new Date(until) : null;
}

function renderProposals(own) {
  const box = $("#proposals");
  const open = view.Order.State === "Open";
  if (!view.Proposals.length) {
    const why = open ? "You have not sent a proposal yet: fill in the form below."
      : view.Order.State === "Paused" ? "You have not sent a proposal. You can send one when the buyer resumes the order."
        : "You did not send a proposal for this order.";
    box.replaceChildren(el("p", { className: "none", textContent: why }));
    return;
  }
  box.replaceChildren(...view.Proposals.map((p) => {
    const data = p.ProposalDictObj || {};
    const headingId = `proposal-${p.ProposalID}`;
    const edit = el("button", { type: "button", className: "edit" }, "Edit",
      el("span", { className: "visually-hidden", textContent: ` proposal ${p.ProposalID}` }));
    edit.dataset.proposal = p.ProposalID;
    edit.addEventListener("click", () => startEdit(p));
    let why = "";
    const mine = own && own.proposalId === p.ProposalID;
    if (OPEN_PROPOSAL.has(p.State) && !mine) {
      if (view.Order.State === "Paused") why = "You can change it again when the buyer resumes the order.";
      else if (open && p.State === "Locked") {
        const until = lockedUntil(p.ProposalID);
        why = `It is being edited elsewhere (another tab or device)${until ? ` until ${clockSeconds.format(until)}` : ""}.`;
      }
    }
    edit.disabled = !open || p.State !== "Submitted" || Boolean(own);
    const card = el("article", { className: `proposal ${p.State}` },
      el("h3", { id: headingId, textContent: `Proposal ${p.ProposalID}` }),
      el("dl", { className: "details" },
        ...row("Price", el("span", { className: "price", textContent: price(data.Price) })),
        ...row("Delivery", data.DeliveryDate ? deliveryDay(data.DeliveryDate) : el("span", { className: "none", textContent: "no date given" })),
        ...(data.Note ? row("Note", el("span", { className: "note", textContent: String(data.Note) })) : []),
        ...row("Revision", String(p.Revision)),
        ...row("State", mine ? "Being edited by you (locked)" : PROPOSAL_STATE[p.State] || p.State),
        ...row("Last changed", timeTag(p.UpdatedAt))),
      OPEN_PROPOSAL.has(p.State) && !mine ? edit : null,
      why ? el("p", { className: "why", textContent: why }) : null);
    card.setAttribute("aria-labelledby", headingId);
    return card;
  }));
}

function renderForm(own) {
  const form = $("#proposal-form");
  const open = view.Order.State === "Open";
  const mode = own ? "edit" : !view.Proposals.length && open ? "new" : null;
  form.hidden = !mode;
  $("#renew").hidden = $("#cancel").hidden = mode !== "edit";
  if (mode === formMode && (mode !== "edit" || form.dataset.proposal === own.proposalId)) return;
  formMode = mode;
  clearInvalid(form);
  const id = form.elements.ProposalID;
  if (mode === "new") {
    form.reset();
    form.dataset.proposal = "";
    id.readOnly = false;
    id.value = `${order()}-${seller()}`.slice(0, 128);
    $("#form-intro").textContent = "Send the buyer your price and when you can deliver.";
    $("#save").textContent = "Send proposal";
  } else if (mode === "edit") {
    const p = view.Proposals.find((q) => q.ProposalID === own.proposalId);
    const data = p.ProposalDictObj || {};
    form.dataset.proposal = p.ProposalID;
    id.readOnly = true;
    id.value = p.ProposalID;
    form.elements.Price.value = data.Price ?? "";
    form.elements.DeliveryDate.value = data.DeliveryDate ? String(data.DeliveryDate).slice(0, 10) : "";
    form.elements.Note.value = data.Note === undefined ? "" : String(data.Note);
    $("#form-intro").textContent = `Change proposal ${p.ProposalID}. Saving sends the change to the buyer.`;
    $("#save").textContent = "Save changes";
  }
}

// Words for one timeline entry, given the proposal's data before it (for updates); null: not shown.
function entryWords(entry, before) {
  const p = entry.Payload || {};
  const data = pick(p, "data", "ProposalDictObj") || {};
  switch (entry.EventType) {
    case "ProposalSubmissions":
      return `You sent ${price(data.Price)}${data.DeliveryDate ? `, delivery ${deliveryDay(data.DeliveryDate)}` : ""}`
        + (view.Proposals.length > 1 ? ` (proposal ${pick(p, "proposal_id", "ProposalID")})` : "");
    case "ProposalUpdate": {
      const changes = [];
      if (!before || before.Price !== data.Price) changes.push(`your price to ${price(data.Price)}`);
      if (!before || before.DeliveryDate !== data.DeliveryDate) {
        changes.push(data.DeliveryDate ? `delivery to ${deliveryDay(data.DeliveryDate)}` : "removed the delivery date");
      }
      if (before && before.Note !== data.Note) changes.push(data.Note ? "your note" : "removed your note");
      const list = changes.length > 1 ? `${changes.slice(0, -1).join(", ")} and ${changes.at(-1)}` : changes[0] || "your proposal";
      return `You updated ${list}${view.Proposals.length > 1 ? ` (proposal ${pick(p, "proposal_id", "ProposalID")})` : ""}`;
    }
    case "ProposalAccepted": return "Your proposal was accepted";
    case "ProposalClosed": return "Your proposal was closed";
    case "EditLock": {
      const until = pick(p, "expires_at", "ExpiresAt");
      const reason = pick(p, "reason", "Reason");
      if (pick(p, "locked", "Locked")) {
        const at = until ? ` (locked until ${clockSeconds.format(new Date(until))})` : "";
        return reason === "renewed" ? `You took more time to edit${at}` : `You started editing${at}`;
      }
      return reason === "expired" ? "Your edit lock lapsed" : "You finished editing";
    }
    case "OrderPaused": return `The buyer paused the order${p.Reason ? `: ${p.Reason}` : ""}`;
    case "OrderResumed": return `The buyer resumed the order${p.Reason ? `: ${p.Reason}` : ""}`;
    case "OrderFinalised": return p.Won ? "The buyer closed the order and chose your proposal"
      : "The buyer closed the order and chose another proposal";
    case "OrderExpired": return "The order expired";
    case "OrderFailed": return `The order failed${p.Reason ? `: ${p.Reason}` : ""}`;
    default: return null;
  }
}

const isMessage = (entry) => entry.EventType === "RequestFollowUp" || entry.EventType === "SellerFollowUp";
const messageOf = (entry) => pick(entry.Payload, "message", "Message") || {};

function historyEntries() {
  const last = new Map(); // proposal id → its data, as the entries go by
  const out = [];
  for (const entry of view.Timeline) {
    if (isMessage(entry)) continue;
    const id = pick(entry.Payload, "proposal_id", "ProposalID");
    const data = pick(entry.Payload, "data", "ProposalDictObj");
    const words = entryWords(entry, last.get(id));
    if (data && id) last.set(id, data);
    if (words) out.push({ entry, words });
  }
  return out;
}

function renderHistory() {
  const entries = historyEntries();
  $("#history").replaceChildren(...(entries.length ? entries.map(({ entry, words }) =>
    el("li", { dataset: { seq: String(entry.Seq), type: entry.EventType } }, timeTag(entry.OccurredAt), words))
    : [el("li", { className: "none", textContent: "Nothing yet." })]));
}

function renderMessages() {
  const messages = view.Timeline.filter(isMessage);
  $("#messages").replaceChildren(...(messages.length ? messages.map((entry) => {
    const m = messageOf(entry);
    const mine = entry.EventType === "SellerFollowUp";
    const urls = pick(m, "urls", "URLs") || [];
    return el("li", { className: mine ? "mine" : "buyer", dataset: { seq: String(entry.Seq) } },
      el("span", { className: "who" }, mine ? "You · " : "The buyer · ", timeTag(entry.OccurredAt)),
      el("span", { className: "text", textContent: String(pick(m, "message", "Message") || "") }),
      urls.length ? el("ul", { className: "urls" }, ...urls.map((url) => el("li", {},
        el("a", { href: url, textContent: url, rel: "noopener noreferrer", target: "_blank" })))) : null);
  }) : [el("li", { className: "none", textContent: "No messages yet." })]));
  const talking = view.Order.State === "Open" || view.Order.State === "Paused";
  $("#reply-form").hidden = !talking;
}

// Reads out what others did since the last view: the buyer's messages, the order's changes.
function announceNews(previous, next) {
  const news = next.Timeline.filter((e) => e.Seq > previous.LastSeq);
  const words = news.map((e) => {
    if (e.EventType === "RequestFollowUp") return `New message from the buyer: ${pick(messageOf(e), "message", "Message")}`;
    if (/^Order|^ProposalAccepted$|^ProposalClosed$/.test(e.EventType)) return entryWords(e);
    return null;
  }).filter(Boolean);
  if (!words.length) return;
  $("#notice").textContent = ""; // what the seller last did is no longer the news
  announce(words.join(". "));
}

// --- the clock: expiry and the edit lock, counted down ---------------------------------------
let expiryRefreshed = false;
function tick() {
  if (!view) return;
  const now = Date.now();
  const expiresIn = $("#expires-in");
  if (expiresIn) {
    const left = Number(expiresIn.dataset.at) - now;
    const active = ACTIVE.has(view.Order.State);
    expiresIn.textContent = !active ? "" : left > 0 ? ` (expires in ${untilWords(left)})` : " (expiring now)";
    if (active && left <= 0 && !expiryRefreshed) {
      expiryRefreshed = true;
      refreshQuietly();
    }
  }
  const note = $("#lock-note");
  if (formMode === "edit" && editing) {
    const left = new Date(editing.expiresAt).getTime() - now;
    note.textContent = left > 0
      ? `The proposal is locked for you until ${clockSeconds.format(new Date(editing.expiresAt))} `
        + `(${untilWords(left, true)} left). Saving or cancelling releases it.`
      : "Your edit lock has lapsed: saving may still work, unless the proposal was locked again elsewhere. "
        + "“More time” locks it again.";
    note.hidden = false;
  } else {
    note.hidden = true;
  }
}

// --- actions ---------------------------------------------------------------------------------
async function startEdit(p) {
  say("");
  try {
    const lock = await api("/edit-lock", { method: "POST", body: {
      OrderReqID: order(), ProposalID: p.ProposalID, Seller: seller(), Action: "lock" } });
    editing = { proposalId: p.ProposalID, token: lock.LockToken, expiresAt: lock.ExpiresAt };
    storage.set(lockKey(order(), p.ProposalID), JSON.stringify(editing));
    await refresh();
    $("#proposal-form").elements.Price.focus();
  } catch (error) {
    if (error.status !== 401) say(error.message);
  }
}

async function releaseLock() {
  const lock = editing;
  dropLock();
  if (!lock) return;
  await api("/edit-lock", { method: "POST", body: {
    OrderReqID: order(), ProposalID: lock.proposalId, Seller: seller(), Action: "unlock", LockToken: lock.token } });
}

async function renewLock() {
  say("");
  try {
    const lock = await api("/edit-lock", { method: "POST", body: {
      OrderReqID: order(), ProposalID: editing.proposalId, Seller: seller(), Action: "lock", LockToken: editing.token } });
    editing = { proposalId: editing.proposalId, token: lock.LockToken, expiresAt: lock.ExpiresAt };
    storage.set(lockKey(order(), editing.proposalId), JSON.stringify(editing));
    notify(`You have until ${clockSeconds.format(new Date(lock.ExpiresAt))} to save.`);
    tick();
  } catch (error) {
    if (error.status !== 401) say(error.message);
  }
}

async function cancelEdit() {
  const id = editing && editing.proposalId;
  say("");
  try {
    await releaseLock();
    notify("Editing cancelled: your proposal is as it was.");
  } catch (error) {
    if (error.status !== 401) say(error.message);
  }
  await refreshQuietly();
  const edit = id && document.querySelector(`button.edit[data-proposal="${CSS.escape(id)}"]`);
  if (edit && !edit.disabled) edit.focus();
}

async function saveProposal(event) {
  event.preventDefault();
  const form = event.target;
  clearInvalid(form);
  say("");
  const values = Object.fromEntries(new FormData(form));
  const id = form.elements.ProposalID.value.trim();
  const local = !id ? ["ProposalID", "Proposal id: enter an id for your proposal."]
    : !form.elements.ProposalID.checkValidity() ? ["ProposalID", "Proposal id: use letters, digits and . _ : - only, starting with a letter or digit."]
      : !String(values.Price).trim() || !Number.isFinite(Number(values.Price)) ? ["Price", "Price: enter your price as a number."]
        : null;
  if (local) {
    const refusal = new Refusal(422, null);
    refusal.message = local[1];
    refusal.field = local[0];
    showRefusal(refusal, form);
    return;
  }
  const existing = editing && view.Proposals.find((p) => p.ProposalID === editing.proposalId);
  const data = { ...(existing ? existing.ProposalDictObj : {}), ProposalID: id, Price: Number(values.Price) };
  if (values.DeliveryDate) data.DeliveryDate = `${values.DeliveryDate}T00:00:00Z`; else delete data.DeliveryDate;
  const note = String(values.Note || "").trim();
  if (note) data.Note = note; else delete data.Note;
  const body = { OrderReqID: order(), Seller: seller(), ProposalDictObj: data };
  if (editing) body.LockToken = editing.token;

  const button = $("#save");
  button.disabled = true;
  let receipt;
  try {
    receipt = await api("/proposal-submissions", { method: "POST", body });
  } catch (error) {
    if (error.status !== 401) showRefusal(error, form);
    return;
  } finally {
    button.disabled = false;
  }
  let released = "";
  if (editing) {
    try {
      await releaseLock();
    } catch (error) {
      released = ` (the edit lock could not be released: ${error.message} It lapses by itself.)`;
    }
  }
  const what = receipt.Result === "created" ? `Proposal sent: ${price(data.Price)}`
    : receipt.Result === "updated" ? `Saved: your proposal is now ${price(data.Price)}, revision ${receipt.Revision}`
      : "Nothing changed: your proposal was already so";
  notify(`${what}.${released}`);
  await refreshQuietly();
  const edit = document.querySelector(`button.edit[data-proposal="${CSS.escape(receipt.ProposalID)}"]`);
  (edit && !edit.disabled ? edit : $("#proposal-heading")).focus();
}

async function sendReply(event) {
  event.preventDefault();
  const form = event.target;
  clearInvalid(form);
  say("");
  const text = form.elements.Message.value.trim();
  if (!text) {
    const refusal = new Refusal(422, null);
    refusal.message = "Your message: write something to send.";
    refusal.field = "Message";
    showRefusal(refusal, form);
    return;
  }
  const proposal = view.Proposals.find((p) => OPEN_PROPOSAL.has(p.State)) || view.Proposals[0];
  const body = { OrderReqID: order(), Seller: seller(),
    Message: { content: { URLs: [], MessageType: "text", Message: text } } };
  if (proposal) body.ProposalID = proposal.ProposalID;
  const button = $("#send-reply");
  button.disabled = true;
  try {
    await api("/followup", { method: "POST", body });
  } catch (error) {
    if (error.status !== 401) showRefusal(error, form);
    return;
  } finally {
    button.disabled = false;
  }
  form.reset();
  notify("Message sent to the buyer.");
  await refreshQuietly();
}

// --- live: the seller's timeline over server-sent events, read with fetch (EventSource cannot send
// the Authorization header), resumed after the last id seen --------------------------------------
const live = { controller: null, lastSeq: 0, attempt: 0, timer: null, sessionTimer: null, ended: false };

function setLive(kind, text) {
  const box = $("#live");
  if (box.textContent !== text) box.textContent = text;
  box.className = `live ${kind}`;
}

function stopStream() {
  live.ended = true;
  clearTimeout(live.timer);
  clearTimeout(live.sessionTimer);
  if (live.controller) live.controller.abort();
  live.controller = null;
}

// Events of a text/event-stream body: {id, event, data}; comments (keep-alive pings) skipped.
async function* sseEvents(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let event = { id: "", event: "", data: [] };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (;;) {
        const end = buffer.search(/\r\n|\r|\n/);
        if (end < 0 || (buffer[end] === "\r" && end === buffer.length - 1)) break; // "\r" may be half of "\r\n"
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + (buffer.startsWith("\r\n", end) ? 2 : 1));
        if (line === "") {
          if (event.data.length || event.event) yield { id: event.id, event: event.event || "message", data: event.data.join("\n") };
          event = { id: "", event: "", data: [] };
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "id") event.id = value;
        else if (field === "event") event.event = value;
        else if (field === "data") event.data.push(value);
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

async function follow() {
  if (live.controller || live.ended) return;
  const controller = new AbortController();
  live.controller = controller;
  const after = Math.max(live.lastSeq, view ? view.LastSeq : 0);
  let response;
  try {
    response = await fetch(`/api/v1${viewPath()}/events?after_seq=${after}`, {
      headers: { Authorization: `Bearer ${session.Token}`, Accept: "text/event-stream" },
      cache: "no-store", signal: controller.signal,
    });
  } catch {
    live.controller = null;
    if (!controller.signal.aborted) reconnect();
    return;
  }
  if (response.status === 401) {
    live.controller = null;
    sessionEnded();
    return;
  }
  if (!response.ok) {
    live.controller = null;
    if (response.status === 403 || response.status === 404) {
      live.ended = true;
      setLive("off", "Not live");
      say(refusalWords(response.status, (await response.json().catch(() => ({}))).detail));
    } else {
      reconnect();
    }
    return;
  }
  setLive("on", "Live");
  live.attempt = 0;
  try {
    for await (const event of sseEvents(response.body)) {
      if (event.id) live.lastSeq = Math.max(live.lastSeq, Number(event.id) || 0);
      if (event.event === "CredentialExpired") {
        live.controller = null;
        sessionEnded();
        return;
      }
      if (TERMINAL_EVENTS.has(event.event)) live.ended = true;
      refreshQuietly();
    }
  } catch {
    // the connection broke: reconnect below
  }
  if (live.controller === controller) live.controller = null;
  if (controller.signal.aborted) return;
  if (live.ended) {
    setLive("off", "Updates closed: the order has ended");
    return;
  }
  reconnect();
}

function reconnect() {
  if (live.ended) return;
  const seconds = Math.min(30, 2 ** live.attempt) * (0.75 + Math.random() * 0.5);
  live.attempt += 1;
  setLive("retry", "Connection lost: reconnecting…");
  clearTimeout(live.timer);
  live.timer = setTimeout(follow, seconds * 1000);
}

// --- start -------------------------------------------------------------------------------------
async function openSession(link) {
  let response;
  try {
    response = await fetch("/api/v1/seller-sessions", {
      method: "POST", cache: "no-store", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ Link: link }),
    });
  } catch {
    gate(refusalWords(0), () => openSession(link).then((ok) => ok && start()));
    return false;
  }
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    const transient = response.status === 429 || response.status >= 500;
    gate(linkWords(response.status, answer.detail), transient ? () => openSession(link).then((ok) => ok && start()) : null);
    return false;
  }
  keepSession(answer);
  session = answer;
  return true;
}

async function start() {
  say("");
  live.ended = false;
  try {
    render(await api(viewPath()));
  } catch (error) {
    if (error.status === 401) return;
    gate(error.message, error.status === 0 || error.status >= 500 ? start : null);
    return;
  }
  $("#gate").hidden = true;
  $("#order-page").hidden = false;
  live.lastSeq = view.LastSeq;
  // The server ends the session at ExpiresAt (CredentialExpired); here too, should the stream be down.
  clearTimeout(live.sessionTimer);
  live.sessionTimer = setTimeout(() => { if (session) sessionEnded(); }, Math.max(0, session.ExpiresAt * 1000 - Date.now()));
  if (ACTIVE.has(view.Order.State)) follow();
  else { live.ended = true; setLive("off", "Updates closed: the order has ended"); }
}

// The link: read once, then taken out of the address bar and the history before anything else.
async function boot() {
  const link = new URLSearchParams(location.hash.slice(1)).get("link");
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  if (link) {
    stopStream(); // another link opened in this tab: the page starts over with it
    session = view = editing = formMode = null;
    $("#gate").hidden = false;
    $("#order-page").hidden = true;
    $("#gate-text").textContent = "Opening your page…";
    if (await openSession(link)) await start();
    return;
  }
  session = storedSession();
  if (!session) {
    gate(NO_LINK);
  } else if (session.ExpiresAt * 1000 <= Date.now()) {
    sessionEnded();
  } else {
    await start();
  }
}

$("#proposal-form").addEventListener("submit", saveProposal);
$("#cancel").addEventListener("click", cancelEdit);
$("#renew").addEventListener("click", renewLock);
$("#reply-form").addEventListener("submit", sendReply);
window.addEventListener("hashchange", () => { if (/(^#|&)link=/.test(location.hash)) boot(); });
setInterval(tick, 1000);
boot();
