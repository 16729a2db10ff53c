// The buyer's page: a list of orders, and one order followed live over server-sent events — its
// proposals compared in a chart and a sortable table, its timeline told in words.
const api = (path, options = {}) =>
  fetch(`/api/v1${path}`, { headers: { "Content-Type": "application/json" }, ...options }).then(async (response) => {
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw Object.assign(new Error(refusal(response.status, body)), { status: response.status });
    return body;
  });

/** A refusal in words for the buyer: the server's reason, without its status code. */
function refusal(status, body) {
  const detail = body.detail;
  const sentence = (words) => (/[.!?]$/.test(words) ? words : `${words}.`);
  if (Array.isArray(detail)) return sentence("Not sent, please check: " + detail.map((d) => `${d.loc.slice(1).join(".")} ${d.msg}`).join("; "));
  const reason = detail && detail.reason;
  if (status >= 500) return sentence(`Something went wrong on the server${reason ? ` (${reason})` : ""}; please try again in a moment`);
  if (status === 404) return sentence(`Not found: ${reason || "it may have been removed"}`);
  return sentence(`Refused: ${reason || "the request was not accepted"}`);
}

const $ = (selector) => document.querySelector(selector);
const text = (value) => (value === null || value === undefined ? "" : String(value));

/** An element with properties and children (strings become text, null and false are skipped). */
function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

const SVG_NS = "http://www.w3.org/2000/svg";
function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function say(message, ok = false) {
  const box = $("#message");
  box.textContent = message;
  box.className = ok ? "ok" : "";
  box.hidden = !message;
}

// Read out by screen readers (polite); a burst of events becomes one sentence, not a queue of them.
let announcements = [];
let announceTimer = null;
function announce(words) {
  announcements.push(words);
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => {
    $("#announcer").textContent = announcements.slice(-3).join(". ");
    announcements = [];
  }, 300);
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) {
    const td = document.createElement("td");
    if (cell instanceof Node) td.append(cell); else td.textContent = text(cell);
    tr.append(td);
  }
  return tr;
}

// --- formats: the browser's language, Intl's rules ------------------------------------------
const wholeNumber = new Intl.NumberFormat(undefined, { maximumFractionDigits: 4 });
const money = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 4 });
const formatPrice = (n) => (n === null ? "" : (Number.isInteger(n) ? wholeNumber : money).format(n));
// Delivery dates are days: shown in UTC, as sellers send them, so midnight does not become the day before.
const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });
const formatDay = (ms) => (ms === null ? "" : dayFormat.format(new Date(ms)));
const stampFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const clockFormat = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });
const shortClock = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "long" });
function formatWhen(iso) {
  const when = new Date(iso);
  return when.toDateString() === new Date().toDateString() ? clockFormat.format(when) : stampFormat.format(when);
}
const plural = (n, one, many = `${one}s`) => `${wholeNumber.format(n)} ${n === 1 ? one : many}`;
const listed = (names) => new Intl.ListFormat(undefined, { type: "conjunction" }).format(names);

function timeEl(iso, shown) {
  return el("time", { dateTime: iso, textContent: shown, title: fullFormat.format(new Date(iso)) });
}

// --- a proposal's numbers ---------------------------------------------------------------------
function priceOf(data) {
  const value = data && data.Price;
  const n = typeof value === "number" ? value : typeof value === "string" && value.trim() ? Number(value) : NaN;
  return Number.isFinite(n) ? n : null;
}
function deliveryOf(data) {
  const value = data && data.DeliveryDate;
  const ms = typeof value === "string" ? Date.parse(value) : NaN;
  return Number.isFinite(ms) ? ms : null;
}
/** The seller's free-text note, "" without one. */
const noteOf = (data) => text(data && data.Note).trim();
const isOpen = (p) => p.State === "Submitted" || p.State === "Locked";

/** The open proposals with the lowest price and with the earliest delivery (ties: all of them). */
function bestOf(proposals) {
  const open = proposals.filter(isOpen);
  const prices = open.map((p) => priceOf(p.ProposalDictObj)).filter((n) => n !== null);
  const days = open.map((p) => deliveryOf(p.ProposalDictObj)).filter((n) => n !== null);
  const lowest = prices.length ? Math.min(...prices) : null;
  const earliest = days.length ? Math.min(...days) : null;
  return {
    lowest, earliest,
    price: new Set(open.filter((p) => lowest !== null && priceOf(p.ProposalDictObj) === lowest).map((p) => p.ProposalID)),
    date: new Set(open.filter((p) => earliest !== null && deliveryOf(p.ProposalDictObj) === earliest).map((p) => p.ProposalID)),
  };
}

// --- orders list ---------------------------------------------------------------------------
async function showOrders() {
  $("#order-page").hidden = true;
  $("#orders-page").hidden = false;
  document.title = "Orders — dCent Communicator";
  const { Orders } = await api("/orders?limit=100");
  const body = $("#orders tbody");
  body.replaceChildren(...Orders.map((o) => {
    const link = el("a", { href: `#/orders/${encodeURIComponent(o.OrderReqID)}`, textContent: o.OrderReqID });
    const state = el("span", { className: `state ${o.State}`, textContent: o.State });
    return row([link, state, timeEl(o.CreatedAt, formatWhen(o.CreatedAt)), wholeNumber.format(o.LastSeq)]);
  }));
  if (!Orders.length) body.append(el("tr", {}, el("td", { colSpan: 4, textContent: "No orders yet: ask for quotes above." })));
}

/** "Ready-mix concrete: 12 m3" → {name, quantity, unit}; a line without a quantity is one of it. */
function parseItem(line) {
  const match = line.match(/^(.*\S)\s*:\s*(\d+(?:[.,]\d+)?)\s*(.*)$/);
  if (!match) return { name: line };
  const item = { name: match[1], quantity: Number(match[2].replace(",", ".")) };
  if (match[3].trim()) item.unit = match[3].trim();
  return item;
}

const COORDINATES = [
  { name: "lat", words: "Latitude", max: 90, example: "40.71" },
  { name: "lng", words: "Longitude", max: 180, example: "-74.01" },
];

/** The form's location: both coordinates or neither, numbers in range. What is wrong is said beside
 *  the fields (and the fields marked invalid); then the answer is false and nothing is sent. */
function locationOf(form) {
  const given = Object.fromEntries(COORDINATES.map(({ name }) => [name, form.elements[name].value.trim()]));
  const problems = {};
  const values = {};
  for (const { name, words, max, example } of COORDINATES) {
    const value = given[name];
    if (!value) continue;
    values[name] = /^[+-]?(\d+([.,]\d*)?|[.,]\d+)$/.test(value) ? Number(value.replace(",", ".")) : NaN;
    if (Number.isNaN(values[name])) problems[name] = `${words} must be a number, such as ${example}.`;
    else if (Math.abs(values[name]) > max) problems[name] = `${words} must be between -${max} and ${max}.`;
  }
  if (given.lat && !given.lng) problems.lng = "Give a longitude too, or clear the latitude: a location needs both.";
  if (given.lng && !given.lat) problems.lat = "Give a latitude too, or clear the longitude: a location needs both.";
  showLocationProblems(form, problems);
  const first = COORDINATES.find(({ name }) => problems[name]);
  if (first) { form.elements[first.name].focus(); return false; }
  return given.lat ? { lat: values.lat, lng: values.lng } : null;
}

function showLocationProblems(form, problems) {
  for (const { name } of COORDINATES) {
    if (problems[name]) form.elements[name].setAttribute("aria-invalid", "true");
    else form.elements[name].removeAttribute("aria-invalid");
  }
  const box = $("#location-error");
  box.textContent = COORDINATES.map(({ name }) => problems[name]).filter(Boolean).join(" ");
  box.hidden = !box.textContent;
}

for (const { name } of COORDINATES) {
  $(`#initiate-form input[name=${name}]`).addEventListener("input", (event) => showLocationProblems(event.target.form, {}));
}

$("#initiate-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const place = locationOf(event.target);
  if (place === false) return;
  const form = new FormData(event.target);
  const field = (name) => String(form.get(name) || "").trim();
  const body = { OrderReqId: field("OrderReqId"), SessionID: field("SessionID"), "Notification type": "GChat" };
  if (field("Industry")) body.Industry = field("Industry");
  if (place) body.Location = place;
  if (field("Description")) body.Description = field("Description");
  const items = field("Items").split("\n").map((line) => line.trim()).filter(Boolean).map(parseItem);
  if (items.length) body.Items = items;
  if (field("ExpiryMinutes")) body.ExpiryMinutes = Number(field("ExpiryMinutes"));
  if (field("MaxSellers")) body.MaxSellers = Number(field("MaxSellers"));
  try {
    const order = await api("/initiate", { method: "POST", body: JSON.stringify(body) });
    location.hash = `#/orders/${encodeURIComponent(order.OrderReqID)}`;
  } catch (error) { say(error.message); }
});

// --- one order, live -----------------------------------------------------------------------
let source = null;
let current = null;
let view = null;            // the order as last fetched
// What the event stream tells beyond the view: the view's timeline names each event's type only.
let told = new Map();       // seq → the event in words
let arrivals = new Map();   // ProposalID → when its first revision arrived
let offers = new Map();     // ProposalID → its latest data, to say what an update changed
let quietUntil = 0;         // events up to this seq were there when the order opened: not read out
let picked = new Set();     // proposals checked for a follow-up, kept across redraws
let sort = { key: "arrival", dir: 1 };

// The largest page of proposals the API serves (1000: ten sellers at MAX_PROPOSAL_REVISIONS' default).
const PAGE = 1000;
const orderPath = (orderId, offset = 0) =>
  `/orders/${encodeURIComponent(orderId)}?proposals_limit=${PAGE}` + (offset ? `&proposals_offset=${offset}` : "");

const EVENT_TYPES = ["RequestSubmissions", "SellersSelected", "OrderFailed", "ProposalSubmissions", "ProposalUpdate",
  "ProposalAccepted", "ProposalClosed", "EditLock", "RequestFollowUp", "SellerFollowUp", "OrderPaused", "OrderResumed",
  "OrderFinalised", "OrderExpired", "SellerNoticeFailed"];
const TERMINAL = ["OrderFinalised", "OrderExpired", "OrderFailed"];
// An ended order takes no more actions: its controls are hidden and its outcome said up top.
const ENDED = ["Finalised", "Expired", "Failed"];
// The buyer's own actions are confirmed in #message (an alert) already: not read out twice.
const BUYERS_OWN = ["RequestSubmissions", "RequestFollowUp", "OrderPaused", "OrderResumed", "OrderFinalised"];

async function showOrder(orderId) {
  $("#orders-page").hidden = true;
  $("#order-page").hidden = false;
  if (source) source.close();
  current = orderId;
  view = null;
  told = new Map();
  arrivals = new Map();
  offers = new Map();
  picked = new Set();
  sort = { key: "arrival", dir: 1 };
  showSort();
  $("#live").textContent = "connecting…";
  const order = await api(orderPath(orderId));
  if (current !== orderId) return;
  quietUntil = order.LastSeq;
  render(order);
  // From the first event: the replay gives the timeline its words and the proposals their arrival
  // times. The browser resends Last-Event-ID when it reconnects, so nothing is missed or doubled.
  source = new EventSource(`/api/v1/orders/${encodeURIComponent(orderId)}/events?after_seq=0`);
  const stream = source;
  stream.onopen = () => { $("#live").textContent = "live"; };
  stream.onerror = () => { if (stream.readyState !== EventSource.CLOSED) $("#live").textContent = "reconnecting…"; };
  const received = (message) => {
    if (current !== orderId) return;
    let event = null;
    try { event = JSON.parse(message.data); } catch { /* shown by its type only */ }
    const seq = Number(message.lastEventId) || (event && event.seq) || 0;
    if (event && event.payload && !told.has(seq)) {
      const words = describe(event);
      told.set(seq, words);
      if (seq > quietUntil && !BUYERS_OWN.includes(event.event_type)) announce(words);
    }
    if (!view || seq > view.LastSeq) refresh(); else redraw();
    if (TERMINAL.includes(message.type)) {
      stream.close();
      $("#live").textContent = "closed";
    }
  };
  for (const type of EVENT_TYPES) stream.addEventListener(type, received);
}

// One fetch at a time; events that arrive meanwhile are covered by one more.
let refreshing = false;
let refreshAgain = false;
async function refresh() {
  if (refreshing) { refreshAgain = true; return; }
  refreshing = true;
  try {
    do {
      refreshAgain = false;
      const orderId = current;
      if (!orderId) return;
      const order = await api(orderPath(orderId));
      if (current === orderId) render(order);
    } while (refreshAgain);
  } catch (error) { say(error.message); } finally { refreshing = false; }
}

let redrawTimer = null;
function redraw() {
  if (redrawTimer) return;
  redrawTimer = setTimeout(() => { redrawTimer = null; if (view) render(view); }, 40);
}

const RANKED_BY = { google: "road distance", haversine: "straight-line distance", directory: "the directory's order" };
const SOURCE = { google: "road distance", haversine: "straight line", directory: "directory" };
const NOTICE = {
  invitation: "of its invitation", buyer_follow_up: "of your follow-up", proposal_accepted: "that its proposal won",
  proposal_closed: "that its proposal was closed", order_paused: "that the order is paused",
  order_resumed: "that the order resumed", order_expired: "that the order expired",
};

function offerWords(data) {
  const price = priceOf(data);
  const day = deliveryOf(data);
  const parts = [price !== null && formatPrice(price), day !== null && `delivery ${formatDay(day)}`,
    noteOf(data) && "with a note"].filter(Boolean);
  return parts.length ? `: ${parts.join(", ")}` : "";
}

function updateWords(seller, before, after, revision) {
  const [p0, p1] = [priceOf(before), priceOf(after)];
  const [d0, d1] = [deliveryOf(before), deliveryOf(after)];
  const was = (old, shown) => (old === null ? "" : ` (was ${shown})`);
  const price = p1 !== p0 && p1 !== null ? `price to ${formatPrice(p1)}${was(p0, formatPrice(p0))}` : "";
  const day = d1 !== d0 && d1 !== null ? `delivery to ${formatDay(d1)}${was(d0, formatDay(d0))}` : "";
  if (price && day) return `${seller} updated its ${price} and its ${day}`;
  if (price || day) return `${seller} updated its ${price || day}`;
  if (noteOf(after) !== noteOf(before)) return `${seller} ${noteOf(after) ? "updated" : "removed"} its note`;
  return `${seller} updated its proposal (revision ${revision})`;
}

const messageOf = (content) => (content ? content.message ?? content.Message ?? "" : "");

/** One stream event in words; called in seq order, so an update is compared with what came before. */
function describe(event) {
  const p = event.payload;
  switch (event.event_type) {
    case "RequestSubmissions": return "You asked for quotes";
    case "SellersSelected":
      return `${plural(p.sellers.length, "seller")} invited (ranked by ${RANKED_BY[p.ranking_source] || p.ranking_source})`;
    case "OrderFailed": return `The order failed${p.reason ? `: ${p.reason}` : ""}`;
    case "ProposalSubmissions":
      offers.set(p.proposal_id, p.data);
      if (!arrivals.has(p.proposal_id)) arrivals.set(p.proposal_id, event.occurred_at);
      return `${p.seller_id} sent a proposal${offerWords(p.data)}`;
    case "ProposalUpdate": {
      const before = offers.get(p.proposal_id) || {};
      offers.set(p.proposal_id, p.data);
      return updateWords(p.seller_id, before, p.data, p.revision);
    }
    case "ProposalAccepted": return `${p.seller_id}'s proposal ${p.proposal_id} was accepted`;
    case "ProposalClosed": return `${p.seller_id}'s proposal ${p.proposal_id} was closed`;
    case "EditLock":
      if (p.locked) return `${p.seller_id} is editing its proposal ${p.proposal_id}`;
      return p.reason === "expired" ? `${p.seller_id}'s editing time on ${p.proposal_id} ran out`
        : `${p.seller_id} finished editing its proposal ${p.proposal_id}`;
    case "RequestFollowUp": return `You → ${p.audience.join(", ")}: ${messageOf(p.message)}`;
    case "SellerFollowUp": return `${p.seller_id} replied: ${messageOf(p.message)}`;
    case "OrderPaused": return `You paused the order${p.reason ? ` (${p.reason})` : ""}`;
    case "OrderResumed": return `You resumed the order${p.reason ? ` (${p.reason})` : ""}`;
    case "OrderFinalised": return `You finalised: ${p.winning_proposal_id} accepted`;
    case "OrderExpired": return "Order expired";
    case "SellerNoticeFailed": return `Could not notify ${p.seller_id}${NOTICE[p.kind] ? ` ${NOTICE[p.kind]}` : ""} (${p.reason})`;
    default: return event.event_type;
  }
}

/** Words for a timeline entry whose event the stream has not brought yet: what the view knows. */
function fallbackWords(entry, order) {
  const followUp = order.FollowUps.find((f) => f.Seq === entry.Seq);
  switch (entry.EventType) {
    case "RequestSubmissions": return "You asked for quotes";
    case "SellersSelected":
      return `${plural(order.Sellers.length, "seller")} invited (ranked by ${RANKED_BY[order.RankingSource] || order.RankingSource})`;
    case "OrderFailed": return `The order failed${order.Reason ? `: ${order.Reason}` : ""}`;
    case "ProposalSubmissions": return "A seller sent a proposal";
    case "ProposalUpdate": return "A seller updated its proposal";
    case "ProposalAccepted": return "A proposal was accepted";
    case "ProposalClosed": return "A proposal was closed";
    case "EditLock": return "A seller started or finished editing its proposal";
    case "RequestFollowUp": return followUp ? `You → ${followUp.Audience.join(", ")}: ${followUp.Message.Message}` : "You sent a follow-up";
    case "SellerFollowUp": return followUp ? `${followUp.Seller} replied: ${followUp.Message.Message}` : "A seller replied";
    case "OrderPaused": return "You paused the order";
    case "OrderResumed": return "You resumed the order";
    case "OrderFinalised": return `You finalised${order.WinningProposalID ? `: ${order.WinningProposalID} accepted` : ""}`;
    case "OrderExpired": return "Order expired";
    case "SellerNoticeFailed": return "A seller could not be notified";
    default: return entry.EventType;
  }
}

function render(order) {
  view = order;
  // Redrawing replaces rows and points: the control that had focus gets it back afterwards.
  const focusKey = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : null;

  document.title = `${order.OrderReqID} (${order.State}) — dCent Communicator`;
  $("#order-id").textContent = order.OrderReqID;
  const state = $("#order-state");
  state.textContent = order.State;
  state.className = `state ${order.State}`;
  const ended = ENDED.includes(order.State);
  const outcome = $("#order-outcome");
  outcome.textContent = ended ? outcomeWords(order) : "";
  outcome.className = `outcome ${order.State}`;
  outcome.hidden = !ended;
  $("#order-meta").textContent = [
    !ended && order.Reason,
    order.NextProposalsOffset != null && `showing the first ${order.Proposals.length} of ${order.ProposalsTotal} proposals`,
  ].filter(Boolean).join(" · ");
  $("#order-meta").hidden = !$("#order-meta").textContent;
  const open = order.State === "Open" || order.State === "Paused";
  $("#pause").disabled = order.State !== "Open";
  $("#resume").disabled = order.State !== "Paused";
  $("#pause").hidden = ended;
  $("#resume").hidden = ended;
  $("#followup-form").hidden = ended;
  $("#export-csv").disabled = !order.Proposals.length;

  renderDetails(order);
  const best = bestOf(order.Proposals);
  $("#proposal-count").textContent = order.ProposalsTotal ? `(${wholeNumber.format(order.ProposalsTotal)})` : "";
  renderProposals(order, best, open);
  renderChart(order.Proposals, best);
  $("#followups").replaceChildren(...order.FollowUps.map((f) => el("li", {
    textContent: `${f.Direction === "buyer" ? "You → " + f.Audience.join(", ") : f.Seller + " → you"}: ${f.Message.Message}`,
  })));
  if (!order.FollowUps.length) $("#followups").append(el("li", { className: "none", textContent: "None yet." }));
  $("#sellers tbody").replaceChildren(...order.Sellers.map((s) => row([
    s.Rank, `${s.Name} (${s.SellerID})`,
    s.DistanceKm === null ? "" : `${wholeNumber.format(Math.round(s.DistanceKm * 10) / 10)} km${s.DurationS ? `, ${plural(Math.round(s.DurationS / 60), "min", "min")}` : ""}`,
    SOURCE[s.Source] || s.Source,
  ])));
  $("#timeline").replaceChildren(...order.Timeline.map((entry) => {
    const li = el("li", {}, timeEl(entry.OccurredAt, formatWhen(entry.OccurredAt)), " ",
      el("span", { className: "words", textContent: told.get(entry.Seq) || fallbackWords(entry, order) }));
    li.dataset.event = entry.EventType;
    li.dataset.seq = entry.Seq;
    return li;
  }));

  if (focusKey) {
    const again = document.querySelector(`[data-key="${CSS.escape(focusKey)}"]`);
    if (again && again !== document.activeElement) again.focus({ preventScroll: true });
  }
}

/** What became of an ended order, in a sentence shown under its heading. */
function outcomeWords(order) {
  if (order.State === "Failed") return `This order failed: ${order.Reason || "no reason was given"}.`;
  if (order.State === "Expired") {
    const when = order.ExpiresAt ? ` on ${stampFormat.format(new Date(order.ExpiresAt))}` : "";
    return `This order expired${when}: sellers can no longer send proposals and none can be awarded.`;
  }
  const winner = order.Proposals.find((p) => p.ProposalID === order.WinningProposalID);
  return `Finalised: ${order.WinningProposalID}${winner ? ` from ${winner.Seller}` : ""} was awarded; the other proposals were closed.`;
}

function renderDetails(order) {
  const details = order.Details || {};
  const list = [];
  const add = (term, ...value) => list.push(el("dt", { textContent: term }), el("dd", {}, ...value));
  if (details.Description) add("Description", el("span", { className: "description", textContent: details.Description }));
  if (Array.isArray(details.Items) && details.Items.length) {
    add("Items", el("ul", { className: "items" }, ...details.Items.map((item) => el("li", {},
      `${item.name}: `, el("strong", { textContent: `${wholeNumber.format(item.quantity ?? 1)}${item.unit ? ` ${item.unit}` : ""}` }),
    ))));
  }
  if (details.Industry) add("Industry", details.Industry);
  if (details.Location) {
    const { lat, lng } = details.Location;
    const where = `${lat.toFixed(4)}, ${lng.toFixed(4)}`;
    add("Location", el("a", {
      href: `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lng}#map=13/${lat}/${lng}`, rel: "noopener noreferrer",
      target: "_blank", textContent: where, title: "Opens OpenStreetMap in a new tab",
    }));
  }
  if (order.ExpiresAt && !ENDED.includes(order.State)) add("Expires", timeEl(order.ExpiresAt, stampFormat.format(new Date(order.ExpiresAt))));
  if (order.ExpiresAt && order.State === "Expired") add("Expired", timeEl(order.ExpiresAt, stampFormat.format(new Date(order.ExpiresAt))));
  if (details.ExpiryMinutes) add("Open for", plural(details.ExpiryMinutes, "minute"));
  add("Sellers", `${plural(order.Sellers.length, "seller")} invited` + (details.MaxSellers ? ` (at most ${wholeNumber.format(details.MaxSellers)} asked for)` : ""));
  add("Created", timeEl(order.CreatedAt, stampFormat.format(new Date(order.CreatedAt))));
  add("Session", order.SessionID);
  add("Notices", order["Notification type"]);
  if (!details.Description && !(details.Items || []).length) {
    list.unshift(el("dt", { textContent: "Asked for" }), el("dd", { textContent: "No description or items were given." }));
  }
  $("#order-details").replaceChildren(...list);
}

// --- the proposals table, sortable -----------------------------------------------------------
const SORT_NAMES = { price: "price", delivery: "delivery date", arrival: "order of arrival" };

/** Proposals in the table's order; those without the sorted value go last, ties keep arrival order. */
function sorted(proposals) {
  const arrival = new Map(proposals.map((p, i) => [p.ProposalID, i]));
  const keyOf = {
    price: (p) => priceOf(p.ProposalDictObj), delivery: (p) => deliveryOf(p.ProposalDictObj),
    arrival: (p) => arrival.get(p.ProposalID),
  }[sort.key];
  return [...proposals].sort((a, b) => {
    const [x, y] = [keyOf(a), keyOf(b)];
    const tie = arrival.get(a.ProposalID) - arrival.get(b.ProposalID);
    if (x === null || y === null) return x === y ? tie : x === null ? 1 : -1;
    return (x - y) * sort.dir || tie;
  });
}

function showSort() {
  for (const button of document.querySelectorAll("#proposals button.sort")) {
    const th = button.closest("th");
    const on = button.dataset.sort === sort.key;
    if (on) th.setAttribute("aria-sort", sort.dir > 0 ? "ascending" : "descending"); else th.removeAttribute("aria-sort");
    button.querySelector(".arrow").textContent = on ? (sort.dir > 0 ? "▲" : "▼") : "↕";
  }
  const direction = sort.key === "arrival" ? (sort.dir > 0 ? "" : ", newest first")
    : sort.key === "price" ? (sort.dir > 0 ? ", lowest first" : ", highest first") : (sort.dir > 0 ? ", earliest first" : ", latest first");
  $("#sort-note").textContent = `by ${SORT_NAMES[sort.key]}${direction}`;
}

for (const button of document.querySelectorAll("#proposals button.sort")) {
  button.addEventListener("click", () => {
    const key = button.dataset.sort;
    sort = { key, dir: sort.key === key ? -sort.dir : 1 };
    showSort();
    if (view) renderProposals(view, bestOf(view.Proposals), view.State === "Open" || view.State === "Paused");
    announce(`Proposals sorted ${$("#sort-note").textContent}`);
  });
}

// Each cell's class, and its label on a phone, where the table's rows are laid out as cards.
const PROPOSAL_COLUMNS = [["pick", ""], ["seller", "Seller"], ["num", "Price"], ["delivery", "Delivery"],
  ["pid", "Proposal"], ["arrived", "Arrived"], ["status", "State"], ["award", ""]];

/** After a refused award: when its seller holds the edit lock, until when (the view knows). */
function lockWords(error, id) {
  const p = view && view.Proposals.find((q) => q.ProposalID === id);
  if (error.status !== 409 || !p || !p.LockedUntil) return "";
  return ` ${p.Seller} is editing it until ${shortClock.format(new Date(p.LockedUntil))}: try again after that.`;
}

function renderProposals(order, best, open) {
  const hidden = (words) => el("span", { className: "visually-hidden", textContent: words });
  $("#proposals tbody").replaceChildren(...sorted(order.Proposals).flatMap((p) => {
    const id = p.ProposalID;
    const pick = el("input", { type: "checkbox", value: id, name: "audience", checked: picked.has(id) && isOpen(p) && open });
    pick.disabled = !isOpen(p) || !open;
    pick.dataset.key = `pick:${id}`;
    pick.setAttribute("aria-label", `Pick ${id} for a follow-up`);
    pick.addEventListener("change", () => { if (pick.checked) picked.add(id); else picked.delete(id); followupReady(); });

    const priceValue = priceOf(p.ProposalDictObj);
    const price = el("span", { textContent: priceValue === null ? text(p.ProposalDictObj.Price) : formatPrice(priceValue) });
    const priceCell = el("span", {}, price);
    if (best.price.has(id)) { price.className = "best"; priceCell.append(hidden(" (lowest price)")); }

    const day = deliveryOf(p.ProposalDictObj);
    const delivery = day === null ? el("span", { textContent: text(p.ProposalDictObj.DeliveryDate) })
      : el("time", { dateTime: p.ProposalDictObj.DeliveryDate, textContent: formatDay(day) });
    const deliveryCell = el("span", {}, delivery);
    if (best.date.has(id)) { delivery.className = "best"; deliveryCell.append(hidden(" (earliest delivery)")); }

    const arrivedAt = arrivals.get(id);
    const arrived = arrivedAt ? timeEl(arrivedAt, formatWhen(arrivedAt)) : el("span", { textContent: "…" });

    const award = el("button", { type: "button", textContent: "Finalize", className: "finalize", disabled: !open });
    award.dataset.key = `award:${id}`;
    award.setAttribute("aria-label", `Finalize ${id} from ${p.Seller}`);
    award.addEventListener("click", () => act(`/finalize/${encodeURIComponent(order.OrderReqID)}`, { ProposalID: id }, `Awarded to ${id}`,
      (error) => lockWords(error, id)));

    const tr = row([pick, p.Seller, priceCell, deliveryCell, id, arrived,
      p.State + (p.LockedUntil ? " (editing)" : "") + (p.Revision > 1 ? ` · rev. ${p.Revision}` : ""),
      ENDED.includes(order.State) ? "" : award]);
    // Labels for the cells when a phone shows each proposal as a card (style.css: td::before).
    PROPOSAL_COLUMNS.forEach(([name, label], i) => {
      tr.children[i].className = name;
      if (label) tr.children[i].dataset.label = label;
    });
    tr.className = p.State;
    tr.dataset.proposal = id;
    // The seller's note, as text, on a line of its own under the proposal (it wraps, also on a phone).
    const note = noteOf(p.ProposalDictObj);
    if (!note) return [tr];
    const line = el("tr", { className: `note ${p.State}` }, el("td", { colSpan: 8 }, el("div", { className: "note-body" },
      el("span", { className: "note-label", textContent: "Note" }), hidden(` on ${id} from ${p.Seller}`), ": ",
      el("span", { className: "note-text", textContent: note }))));
    line.dataset.noteFor = id;
    return [tr, line];
  }));
  if (!order.Proposals.length) {
    $("#proposals tbody").append(el("tr", {}, el("td", { colSpan: 8, className: "none", textContent: "No proposals yet: they appear here as sellers send them." })));
  }
  followupReady();
}

/** A follow-up goes to the ticked proposals' sellers: the button waits for one, and says so. */
function followupReady() {
  const open = view && (view.State === "Open" || view.State === "Paused");
  const ticked = document.querySelector("#proposals input[name=audience]:checked");
  $("#followup-form button").disabled = !open || !ticked;
  $("#followup-hint").hidden = !open || Boolean(ticked);
}

// Hovering a row points at its proposal on the chart.
$("#proposals tbody").addEventListener("pointerover", (event) => {
  const tr = event.target.closest("tr[data-proposal], tr[data-note-for]");
  highlight(tr ? tr.dataset.proposal || tr.dataset.noteFor : null);
});
$("#proposals tbody").addEventListener("pointerleave", () => highlight(null));

function highlight(proposalId) {
  for (const node of document.querySelectorAll("[data-hl]")) delete node.dataset.hl;
  if (!proposalId) return;
  for (const node of document.querySelectorAll(`#chart .point[data-proposal="${CSS.escape(proposalId)}"], #proposals tr[data-proposal="${CSS.escape(proposalId)}"], #proposals tr[data-note-for="${CSS.escape(proposalId)}"]`)) {
    node.dataset.hl = "";
  }
}

// --- the chart: price against delivery date, drawn by hand ----------------------------------
const DAY = 86_400_000;
let chartStop = null;  // the point that holds the chart's one tab stop (arrow keys move between points)
let drawnWidth = 0;
let tipFor = null;     // the proposal whose point shows the tooltip

function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].find((n) => raw / magnitude <= n);
  return step * magnitude;
}

function priceTicks(low, high, count) {
  // A margin above and below, so the extreme points sit inside the plot rather than on its axis.
  const margin = (high - low) * 0.06 || high * 0.1 || 1;
  [low, high] = [Math.max(0, low - margin), high + margin];
  const step = niceStep(high - low, count);
  const from = Math.max(0, Math.floor(low / step) * step);
  const to = Math.ceil(high / step) * step;
  const ticks = [];
  for (let v = from; v <= to + step / 2; v += step) ticks.push(Math.round(v * 1e4) / 1e4);
  return { from, to: ticks[ticks.length - 1], ticks };
}

function dayTicks(low, high, count) {
  const days = (high - low) / DAY;
  const stepDays = [1, 2, 3, 7, 14].find((n) => days / n <= count);
  const ticks = [];
  if (stepDays) {
    for (let t = Math.ceil(low / DAY) * DAY; t <= high; t += stepDays * DAY) ticks.push(t);
  } else {
    const months = [1, 2, 3, 6, 12, 24, 60].find((n) => days / (30.4 * n) <= count) || 120;
    const start = new Date(low);
    let t = Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1);
    while (t <= high) { ticks.push(t); const d = new Date(t); t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1); }
  }
  return { ticks, monthly: !stepDays };
}

function chartSummary(proposals, best) {
  const byId = new Map(proposals.map((p) => [p.ProposalID, p]));
  const sellers = (ids) => listed([...new Set([...ids].map((id) => byId.get(id).Seller))]);
  const parts = [plural(proposals.length, "proposal")];
  if (best.lowest !== null) parts.push(`lowest price ${formatPrice(best.lowest)} by ${sellers(best.price)}`);
  if (best.earliest !== null) parts.push(`earliest delivery ${formatDay(best.earliest)} by ${sellers(best.date)}`);
  const winner = proposals.find((p) => p.State === "Accepted");
  if (winner) parts.push(`accepted ${winner.ProposalID} by ${winner.Seller}`);
  return parts.join(", ");
}

function renderChart(proposals, best) {
  const box = $("#chart-box");
  const chart = $("#chart");
  const width = Math.max(260, Math.floor(box.clientWidth || 640));
  drawnWidth = width;
  const height = Math.round(Math.min(340, Math.max(230, width * 0.42)));
  const plotted = proposals.filter((p) => priceOf(p.ProposalDictObj) !== null && deliveryOf(p.ProposalDictObj) !== null);
  const missing = proposals.length - plotted.length;

  const summary = proposals.length ? chartSummary(proposals, best) : "No proposals yet";
  chart.setAttribute("aria-label", summary + (missing ? `; ${plural(missing, "proposal")} without a price or a delivery date not plotted` : ""));
  chart.setAttribute("viewBox", `0 0 ${width} ${height}`);
  chart.setAttribute("height", height);
  const desc = `Each point is one proposal's current revision: delivery date across, price up. ${summary}. The proposals table holds the same data.`;
  const drawing = [svg("title", { id: "chart-title" }, "Price against delivery date"), svg("desc", { id: "chart-desc" }, desc)];
  $("#chart-note").textContent = missing ? `${plural(missing, "proposal")} without a price or a delivery date ${missing === 1 ? "is" : "are"} not plotted.` : "";

  const prices = plotted.map((p) => priceOf(p.ProposalDictObj));
  const days = plotted.map((p) => deliveryOf(p.ProposalDictObj));
  const y = priceTicks(prices.length ? Math.min(...prices) : 0, prices.length ? Math.max(...prices) : 1000, height > 260 ? 5 : 4);
  const labelWidth = Math.max(...y.ticks.map((v) => formatPrice(v).length)) * 7.2 + 14;
  const m = { top: 34, right: 22, bottom: 46, left: Math.max(44, Math.ceil(labelWidth)) };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  let [d0, d1] = days.length ? [Math.min(...days), Math.max(...days)] : [Date.now(), Date.now() + 14 * DAY];
  if (d1 - d0 < 2 * DAY) { d0 -= 2 * DAY; d1 += 2 * DAY; }
  const pad = (d1 - d0) * 0.08;
  [d0, d1] = [d0 - pad, d1 + pad];
  const x = dayTicks(d0, d1, Math.max(2, Math.floor(plotW / 78)));
  const sx = (t) => m.left + ((t - d0) / (d1 - d0)) * plotW;
  const sy = (v) => m.top + (1 - (v - y.from) / (y.to - y.from)) * plotH;

  const years = new Set([new Date(d0).getUTCFullYear(), new Date(d1).getUTCFullYear()]);
  const tickFormat = new Intl.DateTimeFormat(undefined, x.monthly ? { month: "short", year: "numeric", timeZone: "UTC" }
    : { day: "numeric", month: "short", timeZone: "UTC", ...(years.size > 1 ? { year: "2-digit" } : {}) });

  const axes = svg("g", { class: "axes" });
  for (const v of y.ticks) {
    axes.append(svg("line", { class: "grid", x1: m.left, x2: width - m.right, y1: sy(v), y2: sy(v) }),
      svg("text", { class: "tick", x: m.left - 8, y: sy(v), "text-anchor": "end", "dominant-baseline": "middle" }, formatPrice(v)));
  }
  for (const t of x.ticks) {
    axes.append(svg("line", { class: "tick-mark", x1: sx(t), x2: sx(t), y1: m.top + plotH, y2: m.top + plotH + 5 }),
      svg("text", { class: "tick", x: sx(t), y: m.top + plotH + 18, "text-anchor": "middle" }, tickFormat.format(new Date(t))));
  }
  axes.append(
    svg("line", { class: "axis", x1: m.left, x2: m.left, y1: m.top, y2: m.top + plotH }),
    svg("line", { class: "axis", x1: m.left, x2: width - m.right, y1: m.top + plotH, y2: m.top + plotH }),
    svg("text", { class: "axis-title", x: m.left - 8, y: 16, "text-anchor": "end" }, "Price"),
    svg("text", { class: "axis-title", x: m.left + plotW / 2, y: height - 8, "text-anchor": "middle" },
      "Delivery date" + (years.size === 1 && !x.monthly ? `, ${[...years][0]}` : "")),
  );
  drawing.push(axes);
  if (!plotted.length) {
    drawing.push(svg("text", { class: "empty", x: m.left + plotW / 2, y: m.top + plotH / 2, "text-anchor": "middle" },
      proposals.length ? "No proposal has both a price and a delivery date" : "Proposals appear here as they arrive"));
  }

  // Marked points last, so they are drawn over the others; the tab order goes by delivery date.
  const rank = (p) => (best.price.has(p.ProposalID) || best.date.has(p.ProposalID) || p.State === "Accepted" ? 1 : 0);
  const points = svg("g", { class: "points" });
  const labels = [];
  const hits = [];
  const byDate = [...plotted].sort((a, b) => deliveryOf(a.ProposalDictObj) - deliveryOf(b.ProposalDictObj)
    || priceOf(a.ProposalDictObj) - priceOf(b.ProposalDictObj));
  for (const p of [...plotted].sort((a, b) => rank(a) - rank(b))) {
    const id = p.ProposalID;
    const [px, py] = [sx(deliveryOf(p.ProposalDictObj)), sy(priceOf(p.ProposalDictObj))];
    const cheapest = best.price.has(id);
    const earliest = best.date.has(id);
    const classes = ["point", p.State];
    if (cheapest) classes.push("best-price");
    if (earliest) classes.push("earliest");
    let shape;
    if (cheapest && earliest) shape = svg("path", { class: "mark-both", d: starPath(10) });
    else if (cheapest) shape = svg("path", { class: "mark-price", d: "M0,-9 L9,0 L0,9 L-9,0 Z" });
    else if (earliest) shape = svg("path", { class: "mark-date", d: "M0,-9 L8.5,7 L-8.5,7 Z" });
    else shape = svg("circle", { class: isOpen(p) ? "dot" : p.State === "Accepted" ? "dot won" : "dot off", r: 6 });
    const g = svg("g", { class: classes.join(" "), transform: `translate(${px.toFixed(1)},${py.toFixed(1)})` }, shape);
    g.dataset.proposal = id;
    points.append(g);
    const label = cheapest && earliest ? "Lowest price, earliest delivery" : cheapest ? "Lowest price" : earliest ? "Earliest delivery"
      : p.State === "Accepted" ? "Accepted" : "";
    if (label) labels.push({ px, py, label, kind: cheapest && earliest ? "both" : cheapest ? "price" : earliest ? "date" : "won" });
  }
  drawing.push(points, svg("g", { class: "labels" }, ...placeLabels(labels, width, m)));
  $("#key-both").hidden = !labels.some((l) => l.kind === "both");
  $("#key-won").hidden = !labels.some((l) => l.kind === "won");
  chart.replaceChildren(...drawing);

  // The points as buttons over the drawing: focusable, 44 px to tap, with the numbers as their names.
  const stop = byDate.some((p) => p.ProposalID === chartStop) ? chartStop : byDate.length ? byDate[0].ProposalID : null;
  for (const p of byDate) {
    const id = p.ProposalID;
    const [px, py] = [sx(deliveryOf(p.ProposalDictObj)), sy(priceOf(p.ProposalDictObj))];
    const marks = [best.price.has(id) && "lowest price", best.date.has(id) && "earliest delivery", !isOpen(p) && p.State.toLowerCase()].filter(Boolean);
    const hit = el("button", { type: "button", className: "hit", tabIndex: id === stop ? 0 : -1 });
    hit.style.left = `${px}px`;
    hit.style.top = `${py}px`;
    hit.dataset.key = `point:${id}`;
    hit.dataset.proposal = id;
    hit.setAttribute("aria-label", `${p.Seller}, ${id}: ${formatPrice(priceOf(p.ProposalDictObj))}, delivery ${formatDay(deliveryOf(p.ProposalDictObj))}${marks.length ? ` (${marks.join(", ")})` : ""}`);
    hit.tip = { seller: p.Seller, id, price: formatPrice(priceOf(p.ProposalDictObj)), day: formatDay(deliveryOf(p.ProposalDictObj)), marks, x: px, y: py };
    hits.push(hit);
  }
  const layer = $("#chart-points");
  layer.hidden = !hits.length;
  layer.replaceChildren(...hits);
  // The tooltip stays with its point through a redraw (an arriving proposal moves the axes).
  const shown = tipFor && hits.find((hit) => hit.dataset.proposal === tipFor);
  if (shown) showTip(shown); else hideTip();
}

function starPath(r) {
  const points = [];
  for (let i = 0; i < 10; i++) {
    const radius = i % 2 ? r * 0.45 : r;
    const angle = (Math.PI / 5) * i - Math.PI / 2;
    points.push(`${(radius * Math.cos(angle)).toFixed(2)},${(radius * Math.sin(angle)).toFixed(2)}`);
  }
  return `M${points.join(" L")} Z`;
}

/** Text labels above their points, kept inside the chart, and below the point when two would collide. */
function placeLabels(labels, width, m) {
  const placed = [];
  return labels.map(({ px, py, label, kind }) => {
    const w = label.length * 6.8;
    let anchor = "middle";
    let left = px - w / 2;
    if (left < m.left + 2) { anchor = "start"; left = Math.max(m.left + 2, px - 10); }
    if (left + w > width - 4) { anchor = "end"; left = px + 10 - w; }
    let ty = py - 15;
    if (ty < 12 || placed.some((o) => Math.abs(o.ty - ty) < 15 && left < o.left + o.w && o.left < left + w)) ty = py + 24;
    placed.push({ left, ty, w });
    const tx = anchor === "middle" ? px : anchor === "start" ? left : left + w;
    return svg("text", { class: `mark-label ${kind}`, x: tx.toFixed(1), y: ty.toFixed(1), "text-anchor": anchor }, label);
  });
}

function showTip(hit) {
  tipFor = hit.dataset.proposal;
  const tip = $("#chart-tip");
  const { seller, id, price, day, marks, x, y } = hit.tip;
  tip.replaceChildren(el("strong", { textContent: seller }), el("span", { textContent: id }),
    el("span", { textContent: `Price ${price}` }), el("span", { textContent: `Delivery ${day}` }),
    ...(marks.length ? [el("em", { textContent: marks.join(", ") })] : []));
  tip.hidden = false;
  const box = $("#chart-box");
  const left = Math.min(Math.max(4, x - tip.offsetWidth / 2), box.clientWidth - tip.offsetWidth - 4);
  const above = y - tip.offsetHeight - 16;
  tip.style.left = `${left}px`;
  tip.style.top = `${above >= 0 ? above : y + 18}px`;
  highlight(id);
}

function hideTip() {
  tipFor = null;
  $("#chart-tip").hidden = true;
  highlight(null);
}

const layer = $("#chart-points");
layer.addEventListener("focusin", (event) => {
  if (!event.target.classList.contains("hit")) return;
  chartStop = event.target.dataset.proposal;
  for (const hit of layer.children) hit.tabIndex = hit === event.target ? 0 : -1;
  showTip(event.target);
});
layer.addEventListener("focusout", (event) => { if (!layer.contains(event.relatedTarget)) hideTip(); });
layer.addEventListener("pointerover", (event) => { if (event.target.classList.contains("hit")) showTip(event.target); });
layer.addEventListener("pointerout", (event) => {
  if (!event.target.classList.contains("hit")) return;
  const focused = layer.contains(document.activeElement) ? document.activeElement : null;
  if (focused) showTip(focused); else hideTip();
});
layer.addEventListener("keydown", (event) => {
  const hits = [...layer.children];
  const at = hits.indexOf(document.activeElement);
  if (event.key === "Escape") { hideTip(); return; }
  const to = { ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1, Home: 0, End: hits.length - 1 }[event.key];
  if (to === undefined || at < 0) return;
  event.preventDefault();
  hits[Math.max(0, Math.min(hits.length - 1, to))].focus();
});
// A tap or click on a point brings its row into view, marked.
layer.addEventListener("click", (event) => {
  const hit = event.target.closest(".hit");
  if (!hit) return;
  const tr = document.querySelector(`#proposals tr[data-proposal="${CSS.escape(hit.dataset.proposal)}"]`);
  if (tr) tr.scrollIntoView({ block: "nearest", behavior: "smooth" });
});
new ResizeObserver(() => {
  if (view && !$("#order-page").hidden && Math.floor($("#chart-box").clientWidth) !== drawnWidth) {
    renderChart(view.Proposals, bestOf(view.Proposals));
  }
}).observe($("#chart-box"));

// --- CSV export ------------------------------------------------------------------------------
const CSV_HEADER = ["ProposalID", "Seller", "Price", "DeliveryDate", "State", "Revision", "ArrivedAt", "Note"];

/** One RFC 4180 field; a leading = + - @ (or tab, CR) is defused with a ' so spreadsheets show it as text. */
function csvField(value) {
  let field = text(value);
  if (/^[=+\-@\t\r]/.test(field)) field = `'${field}`;
  return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

async function everyProposal(order) {
  const all = [...order.Proposals];
  for (let offset = order.NextProposalsOffset; offset != null;) {
    const page = await api(orderPath(order.OrderReqID, offset));
    all.push(...page.Proposals);
    offset = page.NextProposalsOffset;
  }
  return all;
}

$("#export-csv").addEventListener("click", async () => {
  if (!view) return;
  try {
    const order = view;
    const proposals = sorted(await everyProposal(order));
    const lines = [CSV_HEADER, ...proposals.map((p) => [p.ProposalID, p.Seller, p.ProposalDictObj.Price,
      p.ProposalDictObj.DeliveryDate, p.State, p.Revision, arrivals.get(p.ProposalID), noteOf(p.ProposalDictObj)])];
    const csv = lines.map((line) => line.map(csvField).join(",")).join("\r\n") + "\r\n";
    const url = URL.createObjectURL(new Blob([csv], { type: "text/csv;charset=utf-8" }));
    const name = `${order.OrderReqID.replace(/[^A-Za-z0-9._-]/g, "_")}-proposals.csv`;
    const link = el("a", { href: url, download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    announce(`${plural(proposals.length, "proposal")} saved as ${name}`);
  } catch (error) { say(error.message); }
});

// --- buyer actions ---------------------------------------------------------------------------
/** explain(error): more words for a refusal, "" for none. */
async function act(path, body, done, explain = () => "") {
  try {
    await api(path, { method: "PUT", body: JSON.stringify(body) });
    say(done, true);
  } catch (error) { say(error.message + explain(error)); }
}

$("#pause").addEventListener("click", () => act(`/pause/${encodeURIComponent(current)}`, {}, "Paused: new proposals are refused"));
$("#resume").addEventListener("click", () => act(`/resume/${encodeURIComponent(current)}`, {}, "Resumed"));
$("#followup-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const audience = [...document.querySelectorAll("input[name=audience]:checked")].map((box) => box.value);
  const message = new FormData(event.target).get("Message");
  if (!audience.length) { say("Tick the proposals whose sellers you want to ask first."); return; }
  try {
    const result = await api("/followup", { method: "POST", body: JSON.stringify({
      OrderReqID: current, Audience: audience, Message: { content: { URLs: [], MessageType: "text", Message: message } } }) });
    say(`Sent to ${result.Reached.join(", ")}` + (result.NotReached.length ? `; not reached: ${result.NotReached.map((m) => `${m.ProposalID} (${m.Reason})`).join(", ")}` : ""), true);
    event.target.reset();
    picked.clear();
    for (const box of document.querySelectorAll("input[name=audience]:checked")) box.checked = false;
    followupReady();
  } catch (error) { say(error.message); }
});

// --- routing -------------------------------------------------------------------------------
/** navigated: a link or a new order changed the page (not its first load): focus goes to the new view's
 *  heading, else it would be lost on <body> with the control that had it, now hidden. */
async function route(navigated = false) {
  say("");
  const match = location.hash.match(/^#\/orders\/(.+)$/);
  try {
    if (match) await showOrder(decodeURIComponent(match[1]));
    else {
      if (source) source.close();
      current = null;
      view = null;
      await showOrders();
    }
    if (navigated) (match ? $("#order-heading") : $("#orders-heading")).focus();
  } catch (error) { say(error.message); }
}
window.addEventListener("hashchange", () => route(true));
route();
