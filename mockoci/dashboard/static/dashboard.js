// The dashboard's behaviour: auto-refresh of the live part of the page, and the reset buttons.
// Plain JavaScript, no build step. Every call to the server goes through adminFetch.
"use strict";

const REFRESH_MS = 2000;
const TOKEN_COOKIE = "mockoci_admin_token";

// The admin token, for a server started with an admin token: from the page's own ?token= (kept in a
// session cookie so that links and reloads keep working) or from that cookie.
function adminToken() {
  const fromQuery = new URLSearchParams(window.location.search).get("token");
  if (fromQuery) {
    document.cookie = TOKEN_COOKIE + "=" + encodeURIComponent(fromQuery) + "; path=/; SameSite=Strict";
    return fromQuery;
  }
  const cookie = document.cookie.split("; ").find((part) => part.startsWith(TOKEN_COOKIE + "="));
  return cookie ? decodeURIComponent(cookie.slice(TOKEN_COOKIE.length + 1)) : null;
}

// The one place that talks to mockoci's admin API: adds the admin token, if any, as a bearer token.
function adminFetch(path, init = {}) {
  const headers = new Headers(init.headers || {});
  const token = adminToken();
  if (token) headers.set("authorization", "Bearer " + token);
  return fetch(path, { ...init, headers, cache: "no-store", credentials: "same-origin" });
}

adminToken();  // keep a ?token= in the cookie now, for the links of the page

const base = document.body.dataset.base;
const live = document.getElementById("live");
const status = document.getElementById("refresh-status");
const autoRefresh = document.getElementById("auto-refresh");

function liveUrl() {
  const query = new URLSearchParams({ part: "live" });
  const tenancy = document.body.dataset.tenancy;
  if (tenancy) query.set("tenancy", tenancy);
  return base + "/?" + query.toString();
}

async function refresh() {
  try {
    const response = await adminFetch(liveUrl());
    if (!response.ok) throw new Error(response.status + " " + response.statusText);
    const html = await response.text();
    // keep open what the reader opened: <details> carry a data-key that survives a refresh
    const open = new Set([...live.querySelectorAll("details[open]")].map((d) => d.dataset.key));
    live.innerHTML = html;
    for (const details of live.querySelectorAll("details[data-key]")) {
      if (open.has(details.dataset.key)) details.open = true;
    }
    status.textContent = "updated " + new Date().toLocaleTimeString();
    status.classList.remove("error");
  } catch (error) {
    status.textContent = "cannot reach the server: " + error.message;
    status.classList.add("error");
  }
}

async function reset(tenancy) {
  const url = base + "/reset" + (tenancy ? "?tenancy=" + encodeURIComponent(tenancy) : "");
  const response = await adminFetch(url, { method: "POST" });
  status.textContent = response.ok ? "reset " + (tenancy || "every tenancy") : "reset failed: " + response.status;
  await refresh();
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-reset]");
  if (button) {
    event.preventDefault();
    reset(button.dataset.reset);
  }
});

// Refresh every REFRESH_MS, or less often when building the page takes the server long (a store of many
// thousands of resources): the dashboard must not keep the server busy.
async function refreshLoop() {
  const began = performance.now();
  if (autoRefresh.checked && !document.hidden) await refresh();
  const took = performance.now() - began;
  setTimeout(refreshLoop, Math.max(REFRESH_MS, 4 * took));
}
setTimeout(refreshLoop, REFRESH_MS);
