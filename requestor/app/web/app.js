// The buyer's page: a list of orders, and one order followed live over server-sent events.
const api = (path, options = {}) =>
  fetch(`/api/v1${path}`, { headers: { "Content-Type": "application/json" }, ...options }).then(async (response) => {
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(refusal(response.status, body));
    return body;
  });

function refusal(status, body) {
  const detail = body.detail;
  if (Array.isArray(detail)) return `${status}: ` + detail.map((d) => `${d.loc.slice(1).join(".")} ${d.msg}`).join("; ");
  return `${status}: ${detail && detail.reason ? detail.reason : "request refused"}`;
}

const $ = (selector) => document.querySelector(selector);
const text = (value) => (value === null || value === undefined ? "" : String(value));

function say(message, ok = false) {
  const box = $("#message");
  box.textContent = message;
  box.className = ok ? "ok" : "";
  box.hidden = !message;
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

// --- orders list ---------------------------------------------------------------------------
async function showOrders() {
  $("#order-page").hidden = true;
  $("#orders-page").hidden = false;
  const { Orders } = await api("/orders?limit=100");
  const body = $("#orders tbody");
  body.replaceChildren(...Orders.map((o) => {
    const link = Object.assign(document.createElement("a"), { href: `#/orders/${o.OrderReqID}`, textContent: o.OrderReqID });
    const state = Object.assign(document.createElement("span"), { className: `state ${o.State}`, textContent: o.State });
    return row([link, state, new Date(o.CreatedAt).toLocaleString(), o.LastSeq]);
  }));
}

$("#initiate-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const body = { OrderReqId: form.get("OrderReqId"), SessionID: form.get("SessionID"), "Notification type": "GChat" };
  if (form.get("Industry")) body.Industry = form.get("Industry");
  if (form.get("lat") && form.get("lng")) body.Location = { lat: Number(form.get("lat")), lng: Number(form.get("lng")) };
  try {
    const order = await api("/initiate", { method: "POST", body: JSON.stringify(body) });
    location.hash = `#/orders/${order.OrderReqID}`;
  } catch (error) { say(error.message); }
});

// --- one order, live -----------------------------------------------------------------------
let source = null;
let current = null;
// The largest page of proposals the API serves (1000: ten sellers at MAX_PROPOSAL_REVISIONS' default).
const orderPath = (orderId) => `/orders/${encodeURIComponent(orderId)}?proposals_limit=1000`;

async function showOrder(orderId) {
  $("#orders-page").hidden = true;
  $("#order-page").hidden = false;
  current = orderId;
  await render(await api(orderPath(orderId)));
  if (source) source.close();
  // The browser resends Last-Event-ID when it reconnects, so nothing is missed.
  source = new EventSource(`/api/v1/orders/${encodeURIComponent(orderId)}/events?after_seq=${lastSeq}`);
  source.onopen = () => { $("#live").textContent = "live"; };
  source.onerror = () => { $("#live").textContent = "reconnecting…"; };
  source.onmessage = null;
  const refresh = async (event) => {
    if (current !== orderId) return;
    await render(await api(orderPath(orderId)));
    if (["OrderFinalised", "OrderExpired", "OrderFailed"].includes(event.type)) {
      source.close();
      $("#live").textContent = "closed";
    }
  };
  for (const type of EVENT_TYPES) source.addEventListener(type, refresh);
}

const EVENT_TYPES = ["RequestSubmissions", "SellersSelected", "OrderFailed", "ProposalSubmissions", "ProposalUpdate",
  "ProposalAccepted", "ProposalClosed", "EditLock", "RequestFollowUp", "SellerFollowUp", "OrderPaused", "OrderResumed",
  "OrderFinalised", "OrderExpired", "SellerNoticeFailed"];
let lastSeq = 0;

async function render(order) {
  lastSeq = order.LastSeq;
  $("#order-id").textContent = order.OrderReqID;
  const state = $("#order-state");
  state.textContent = order.State;
  state.className = `state ${order.State}`;
  $("#order-meta").textContent = [
    order.Details.Industry && `industry ${order.Details.Industry}`,
    order.ExpiresAt && `expires ${new Date(order.ExpiresAt).toLocaleString()}`,
    order.Reason, order.WinningProposalID && `awarded to ${order.WinningProposalID}`,
    order.NextProposalsOffset != null && `showing the first ${order.Proposals.length} of ${order.ProposalsTotal} proposals`,
  ].filter(Boolean).join(" · ");
  const open = order.State === "Open" || order.State === "Paused";
  $("#pause").disabled = order.State !== "Open";
  $("#resume").disabled = order.State !== "Paused";
  $("#followup-form button").disabled = !open;

  const live = order.Proposals.filter((p) => p.State === "Submitted" || p.State === "Locked");
  const prices = live.map((p) => Number(p.ProposalDictObj.Price)).filter((n) => !Number.isNaN(n));
  const dates = live.map((p) => p.ProposalDictObj.DeliveryDate).filter(Boolean).sort();
  const lowest = prices.length ? Math.min(...prices) : null;
  $("#proposals tbody").replaceChildren(...order.Proposals.map((p) => {
    const pick = Object.assign(document.createElement("input"), { type: "checkbox", value: p.ProposalID, name: "audience" });
    pick.disabled = !(p.State === "Submitted" || p.State === "Locked");
    const price = Object.assign(document.createElement("span"), { textContent: text(p.ProposalDictObj.Price) });
    if (Number(p.ProposalDictObj.Price) === lowest && live.includes(p)) price.className = "best";
    const delivery = Object.assign(document.createElement("span"), { textContent: text(p.ProposalDictObj.DeliveryDate).slice(0, 10) });
    if (dates.length && p.ProposalDictObj.DeliveryDate === dates[0] && live.includes(p)) delivery.className = "best";
    const award = Object.assign(document.createElement("button"), { textContent: "Finalize", className: "finalize" });
    award.disabled = !open;
    award.addEventListener("click", () => act(`/finalize/${order.OrderReqID}`, { ProposalID: p.ProposalID }, `Awarded to ${p.ProposalID}`));
    const tr = row([pick, p.ProposalID, p.Seller, price, delivery, p.State + (p.LockedUntil ? " (editing)" : ""), award]);
    tr.className = p.State;
    tr.dataset.proposal = p.ProposalID;
    return tr;
  }));
  $("#followups").replaceChildren(...order.FollowUps.map((f) => Object.assign(document.createElement("li"), {
    textContent: `${f.Direction === "buyer" ? "You → " + f.Audience.join(", ") : f.Seller + " → you"}: ${f.Message.Message}`,
  })));
  $("#sellers tbody").replaceChildren(...order.Sellers.map((s) => row([
    s.Rank, `${s.Name} (${s.SellerID})`,
    s.DistanceKm === null ? "" : `${s.DistanceKm.toFixed(1)} km${s.DurationS ? `, ${Math.round(s.DurationS / 60)} min` : ""}`,
    s.Source,
  ])));
  $("#timeline").replaceChildren(...order.Timeline.map((e) => Object.assign(document.createElement("li"), {
    textContent: `${e.EventType} — ${new Date(e.OccurredAt).toLocaleTimeString()}`,
  })));
}

async function act(path, body, done) {
  try {
    await api(path, { method: "PUT", body: JSON.stringify(body) });
    say(done, true);
  } catch (error) { say(error.message); }
}

$("#pause").addEventListener("click", () => act(`/pause/${current}`, {}, "Paused: new proposals are refused"));
$("#resume").addEventListener("click", () => act(`/resume/${current}`, {}, "Resumed"));
$("#followup-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const audience = [...document.querySelectorAll("input[name=audience]:checked")].map((box) => box.value);
  const message = new FormData(event.target).get("Message");
  try {
    const result = await api("/followup", { method: "POST", body: JSON.stringify({
      OrderReqID: current, Audience: audience, Message: { content: { URLs: [], MessageType: "text", Message: message } } }) });
    say(`Sent to ${result.Reached.join(", ")}` + (result.NotReached.length ? `; not reached: ${result.NotReached.map((m) => `${m.ProposalID} (${m.Reason})`).join(", ")}` : ""), true);
    event.target.reset();
  } catch (error) { say(error.message); }
});

// --- routing -------------------------------------------------------------------------------
async function route() {
  say("");
  const match = location.hash.match(/^#\/orders\/(.+)$/);
  try {
    if (match) await showOrder(decodeURIComponent(match[1]));
    else { if (source) source.close(); current = null; await showOrders(); }
  } catch (error) { say(error.message); }
}
window.addEventListener("hashchange", route);
route();
