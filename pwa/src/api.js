// A small fetch wrapper for the Trình Ký API, used by the page and the service worker.
//  - Bearer access token; refreshed with POST /api/auth/refresh when it expires. Refreshes
//    are serialised across tabs and the service worker (Web Locks; a promise chain where
//    there are none) because presenting a used refresh token revokes the whole device.
//  - Idempotency-Key (a uuid) on every POST, kept across the retry after a refresh.
//  - If-Match with the document's ETag where the API asks for it (actions on a document).
//  - Errors are Problem Details (application/problem+json), thrown as ApiError.
//  - GETs of JSON can be cached in IndexedDB for offline reading (`load`), and page
//    images are kept as Blobs (`imageURL`).
import { clearUserData, db, kvDelete, kvGet, kvSet } from "./db.js";
import { E, urlOf } from "./endpoints.js";

export class ApiError extends Error {
  /** @param {{status:number, code?:string, title?:string, detail?:string, errors?:Record<string, any>, retryAfter?:number, body?:any}} p */
  constructor(p) {
    super(p.detail || p.title || `HTTP ${p.status}`);
    this.name = "ApiError";
    this.status = p.status;
    this.code = p.code || (p.status === 0 ? "offline" : `http-${p.status}`);
    this.title = p.title || "";
    this.detail = p.detail || "";
    this.errors = p.errors || null;
    this.retryAfter = p.retryAfter || null;
    /** the whole Problem Details body (extension members: duplicates, verdict_vi…) */
    this.body = p.body || {};
  }
  /** True when the request never reached the server (no network). */
  get offline() {
    return this.status === 0;
  }
}

/** A random uuid (v4), also outside secure contexts. */
export function newKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// -- tokens ----------------------------------------------------------------------------

/** @typedef {{access_token:string, refresh_token:string, expires_at:number, user?:any, device?:any}} Auth */

/** @type {Auth | null | undefined} */
let authCache;
const signedOutListeners = new Set();

/** @returns {Promise<Auth|null>} */
export async function getAuth() {
  if (authCache === undefined) authCache = (await kvGet("auth")) ?? null;
  return authCache;
}

async function saveTokens(token, previous) {
  /** @type {Auth} */
  const auth = {
    access_token: token.access_token,
    refresh_token: token.refresh_token,
    expires_at: Date.now() + (token.expires_in || 900) * 1000,
    user: token.user ?? previous?.user,
    device: token.device ?? previous?.device,
  };
  authCache = auth;
  await kvSet("auth", auth);
  return auth;
}

/** Called with a reason ("revoked", "expired", "signed-out") when the session ends. */
export function onSignedOut(fn) {
  signedOutListeners.add(fn);
  return () => signedOutListeners.delete(fn);
}

async function endSession(reason) {
  authCache = null;
  await clearUserData();
  for (const fn of signedOutListeners) fn(reason);
}

const localLocks = new Map();
/** Run fn under a named lock shared by tabs and the service worker. */
export function withLock(name, fn) {
  const locks = globalThis.navigator?.locks;
  if (locks?.request) return locks.request(name, fn);
  const before = localLocks.get(name) || Promise.resolve();
  const run = before.then(fn, fn);
  localLocks.set(
    name,
    run.catch(() => {}),
  );
  return run;
}

/**
 * Swap the refresh token for a new pair, once: whoever holds the lock refreshes; the
 * others find a newer access token than the one that failed and use it.
 *
 * A page hands the refresh to its service worker when it has one: the worker outlives a
 * navigation, so the rotated pair is saved even when the user leaves the page while the
 * refresh is on the wire (otherwise the next page would present the used refresh token,
 * and the server would revoke the device).
 * @param {string} staleAccessToken the token the server refused
 */
async function refreshTokens(staleAccessToken) {
  const worker = typeof window !== "undefined" ? navigator.serviceWorker?.controller : null;
  if (worker) {
    let answer = null;
    try {
      answer = await askWorker(worker, { type: "refresh", stale: staleAccessToken });
    } catch {
      answer = null; // no answer: refresh here (the lock keeps it single)
    }
    if (answer?.ok) {
      authCache = answer.auth;
      return answer.auth;
    }
    if (answer) {
      const problem = new ApiError(answer.problem);
      if (answer.ended) await endSession(answer.ended);
      throw problem;
    }
  }
  return refreshHere(staleAccessToken);
}

function askWorker(worker, message, timeout = 20_000) {
  return new Promise((resolve, reject) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => reject(new Error("no answer from the service worker")), timeout);
    channel.port1.onmessage = (e) => {
      clearTimeout(timer);
      resolve(e.data);
    };
    worker.postMessage(message, [channel.port2]);
  });
}

/** The service worker's side of refreshTokens(): answers on the message's port. */
export async function answerRefresh(stale, port) {
  try {
    const auth = await refreshHere(stale);
    port.postMessage({ ok: true, auth });
  } catch (err) {
    const e = err instanceof ApiError ? err : new ApiError({ status: 0 });
    const ended = e.status === 401 || e.status === 403 ? sessionEndReason(e) : null;
    port.postMessage({
      ok: false,
      ended,
      problem: { status: e.status, code: e.code, title: e.title, detail: e.detail },
    });
  }
}

const sessionEndReason = (problem) =>
  problem.code === "refresh-token-expired" ? "expired" : "revoked";

async function refreshHere(staleAccessToken) {
  return withLock("trinhky-refresh", async () => {
    const current = (await kvGet("auth")) ?? null; // fresh: another tab may have refreshed
    authCache = current;
    if (!current) throw new ApiError({ status: 401, code: "signed-out" });
    if (current.access_token !== staleAccessToken) return current;
    let response;
    try {
      response = await fetch(E.refresh.path, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ refresh_token: current.refresh_token }),
      });
    } catch {
      throw new ApiError({ status: 0 });
    }
    if (!response.ok) {
      const problem = await problemOf(response);
      if (response.status === 401 || response.status === 403) {
        await endSession(sessionEndReason(problem));
      }
      throw problem;
    }
    return saveTokens(await response.json(), current);
  });
}

// -- requests ----------------------------------------------------------------------------

/** @param {Response} response */
async function problemOf(response) {
  let body = {};
  try {
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("json")) body = await response.json();
  } catch {
    /* not JSON: keep the status only */
  }
  return new ApiError({
    status: response.status,
    code: body.code,
    title: body.title,
    detail: body.detail,
    errors: body.errors,
    retryAfter: Number(response.headers.get("Retry-After")) || undefined,
    body,
  });
}

const SESSION_OVER = new Set(["device-revoked", "account-disabled"]);

/**
 * Call an endpoint of endpoints.js.
 * @param {import("./endpoints.js").Endpoint} endpoint
 * @param {(string|number)[]} [params] values for the path's {placeholders}, in order
 * @param {{query?:Record<string,any>, body?:any, form?:FormData, ifMatch?:string,
 *          idempotencyKey?:string, raw?:boolean, anonymous?:boolean, signal?:AbortSignal}} [opts]
 *   `form`: a multipart body (uploads); the browser sets its Content-Type.
 */
export async function request(endpoint, params = [], opts = {}) {
  const url = urlOf(endpoint, params, opts.query);
  const method = endpoint.method;
  const key = method === "POST" ? opts.idempotencyKey || newKey() : null;

  const send = async (token) => {
    /** @type {Record<string,string>} */
    const headers = { Accept: "application/json, application/problem+json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (opts.body !== undefined && !opts.form) headers["Content-Type"] = "application/json";
    if (key) headers["Idempotency-Key"] = key;
    if (opts.ifMatch) headers["If-Match"] = opts.ifMatch;
    try {
      return await fetch(url, {
        method,
        headers,
        body: opts.form || (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
        signal: opts.signal,
        cache: "no-store",
      });
    } catch (err) {
      if (err?.name === "AbortError") throw err;
      throw new ApiError({ status: 0 });
    }
  };

  let auth = opts.anonymous ? null : await getAuth();
  if (auth && auth.expires_at < Date.now() + 10_000) {
    try {
      auth = await refreshTokens(auth.access_token);
    } catch (err) {
      if (!(err instanceof ApiError) || !err.offline) throw err; // offline: try anyway
    }
  }
  let response = await send(auth?.access_token);
  if (response.status === 401 && auth) {
    const problem = await problemOf(response);
    if (SESSION_OVER.has(problem.code)) {
      await endSession("revoked");
      throw problem;
    }
    auth = await refreshTokens(auth.access_token);
    response = await send(auth.access_token);
  }
  if (!response.ok) throw await problemOf(response);
  if (opts.raw) return response;
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  return type.includes("json") ? response.json() : response;
}

// -- sign-in -----------------------------------------------------------------------------

export async function login(username, password, deviceName) {
  const token = await request(E.login, [], {
    anonymous: true,
    body: { username, password, device_name: deviceName },
  });
  await clearUserData(); // nothing of an earlier user stays on the phone
  return saveTokens(token, null);
}

export async function logout() {
  try {
    await request(E.logout, [], { body: {} });
  } catch {
    /* signed out locally all the same */
  }
  await endSession("signed-out");
}

/** Forget the in-memory copy (another tab or the worker changed the stored tokens). */
export function forgetAuthCache() {
  authCache = undefined;
}

// -- offline reading ---------------------------------------------------------------------

/**
 * GET JSON, keeping a copy in IndexedDB; without a network the copy is answered.
 * @returns {Promise<{data:any, cached:boolean, at:number}>}
 */
export async function load(endpoint, params = [], query) {
  const url = urlOf(endpoint, params, query);
  try {
    const data = await request(endpoint, params, { query });
    const at = Date.now();
    (await db()).put("cache", { data, at }, url).catch(() => {});
    return { data, cached: false, at };
  } catch (err) {
    if (err instanceof ApiError && (err.offline || err.status >= 500)) {
      const hit = await (await db()).get("cache", url);
      if (hit) return { data: hit.data, cached: true, at: hit.at };
    }
    throw err;
  }
}

/** Update a cached GET answer in place (e.g. drop a decided document from the inbox). */
export async function editCached(endpoint, params, query, edit) {
  const url = urlOf(endpoint, params, query);
  const d = await db();
  const hit = await d.get("cache", url);
  if (hit) await d.put("cache", { ...hit, data: edit(hit.data) }, url);
}

// Page images are kept within a budget: the least recently used go first.
const IMAGE_BUDGET = 40 * 1024 * 1024;
let imageIndexChain = Promise.resolve();
/** Note an image stored or shown (size, when), and drop the oldest beyond the budget. */
function noteImage(url, size) {
  imageIndexChain = imageIndexChain
    .then(async () => {
      const d = await db();
      const index = (await d.get("kv", "imageIndex")) || {};
      index[url] = [size ?? index[url]?.[0] ?? 0, Date.now()];
      let total = Object.values(index).reduce((sum, [bytes]) => sum + bytes, 0);
      if (total > IMAGE_BUDGET) {
        const oldest = Object.entries(index).sort((a, b) => a[1][1] - b[1][1]);
        for (const [key, [bytes]] of oldest) {
          if (total <= IMAGE_BUDGET * 0.8) break;
          await d.delete("images", key);
          delete index[key];
          total -= bytes;
        }
      }
      await d.put("kv", index, "imageIndex");
    })
    .catch(() => {});
  return imageIndexChain;
}

/** Fetch a protected image and keep it (within the budget); the Blob. */
export async function storeImage(endpoint, params, query) {
  const url = urlOf(endpoint, params, query);
  const d = await db();
  let blob = await d.get("images", url);
  if (blob) return blob;
  const response = await request(endpoint, params, { query, raw: true });
  blob = await response.blob();
  // Stored before it is shown: a page seen once can be read offline right after.
  await d.put("images", blob, url).catch(() => {});
  noteImage(url, blob.size);
  return blob;
}

/**
 * An object URL for a protected image (fetched with the Authorization header). Page images
 * never change for a given file, page and size, so a stored copy is used first.
 */
export async function imageURL(endpoint, params, query) {
  const url = urlOf(endpoint, params, query);
  const d = await db();
  let blob = await d.get("images", url);
  if (blob) noteImage(url);
  else {
    try {
      blob = await storeImage(endpoint, params, query);
    } catch (err) {
      // Offline: the same page kept at another width (the screen turned, the layout
      // settled after the first render) is better than no page.
      const base = url.split("?")[0] + "?";
      const [other] = await d.getAll("images", IDBKeyRange.bound(base, base + "\uffff"), 1);
      if (!other) throw err;
      blob = other;
    }
  }
  return URL.createObjectURL(blob);
}

/** Download a protected file and hand it to the browser as a download. */
export async function downloadFile(documentId, file) {
  return downloadFrom(E.file, [documentId, file.id], undefined, file.filename || "van-ban.pdf");
}

/** Download what an endpoint answers (a file, a CSV) under `filename`. */
export async function downloadFrom(endpoint, params, query, filename) {
  const response = await request(endpoint, params, { query, raw: true });
  const blob = await response.blob();
  const href = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = href;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}

export { kvDelete };
