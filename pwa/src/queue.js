// Decisions taken without a network (approve, return, instruction — never signing),
// kept in IndexedDB with their Idempotency-Key and replayed when the network returns:
// by the service worker's Background Sync where the browser has it, on the page's
// `online` event otherwise. The key makes a replay that already reached the server
// harmless. A 409/412 on replay (the document changed meanwhile) turns the item into a
// conflict the user decides about: send it again on the new version, or drop it.
import { ApiError, newKey, request, withLock } from "./api.js";
import { db } from "./db.js";
import { E } from "./endpoints.js";

export const QUEUEABLE = new Set(["approve", "return", "instruction"]);
export const SYNC_TAG = "trinhky-queue";

/**
 * @typedef {{id:string, action:"approve"|"return"|"instruction", documentId:number,
 *   subject?:string, body:any, etag?:string, createdAt:number,
 *   state:"pending"|"conflict", problem?:{status:number, code:string, detail:string}}} QueueItem
 */

const channel = typeof BroadcastChannel !== "undefined" ? new BroadcastChannel("trinhky") : null;
function changed() {
  channel?.postMessage({ type: "queue-changed" });
  for (const fn of listeners) fn();
}
const listeners = new Set();
/** Run fn whenever the queue changes (in this context; other contexts via the channel). */
export function onQueueChange(fn) {
  listeners.add(fn);
  const onMessage = (e) => e.data?.type === "queue-changed" && fn();
  channel?.addEventListener("message", onMessage);
  return () => {
    listeners.delete(fn);
    channel?.removeEventListener("message", onMessage);
  };
}

/** @returns {Promise<QueueItem[]>} oldest first */
export async function listQueue() {
  const items = await (await db()).getAll("queue");
  return items.sort((a, b) => a.createdAt - b.createdAt);
}

/**
 * @param {Omit<QueueItem, "id"|"createdAt"|"state"> & {id?: string}} item `id` is the
 *   Idempotency-Key: pass the one of an attempt that may have reached the server.
 */
export async function enqueue(item) {
  /** @type {QueueItem} */
  const full = { ...item, id: item.id || newKey(), createdAt: Date.now(), state: "pending" };
  await (await db()).put("queue", full);
  changed();
  await requestSync();
  return full;
}

export async function dropItem(id) {
  await (await db()).delete("queue", id);
  changed();
}

/** Try a conflicting item again on the document's current version (the user decided). */
export async function retryItem(id, etag) {
  const d = await db();
  const item = await d.get("queue", id);
  if (!item) return;
  await d.put("queue", { ...item, etag, state: "pending", problem: undefined });
  changed();
  return replayQueue();
}

/** Ask the service worker for a Background Sync; false where the browser has none. */
export async function requestSync() {
  try {
    const registration = await globalThis.navigator?.serviceWorker?.ready;
    if (registration?.sync) {
      await registration.sync.register(SYNC_TAG);
      return true;
    }
  } catch {
    /* no Background Sync (Firefox, Safari, or not installed yet): the page replays */
  }
  return false;
}

/** Send one item; the same Idempotency-Key every time. */
function send(item) {
  const endpoint = { approve: E.approve, return: E.return, instruction: E.instruction }[item.action];
  return request(endpoint, [item.documentId], {
    body: item.body,
    ifMatch: item.action === "instruction" ? undefined : item.etag,
    idempotencyKey: item.id,
  });
}

/**
 * Replay pending items in order. Stops at the first network failure (the rest waits).
 * @returns {Promise<{sent:number, conflicts:number, remaining:number}>}
 */
export function replayQueue() {
  return withLock("trinhky-replay", async () => {
    const d = await db();
    let sent = 0;
    let conflicts = 0;
    let remaining = 0;
    let offline = false;
    for (const item of await listQueue()) {
      if (item.state !== "pending") continue;
      if (offline) {
        remaining++;
        continue;
      }
      try {
        await send(item);
        await d.delete("queue", item.id);
        sent++;
      } catch (err) {
        if (!(err instanceof ApiError) || err.offline || err.status >= 500 || err.status === 401) {
          offline = true; // try again later
          remaining++;
          continue;
        }
        await d.put("queue", {
          ...item,
          state: "conflict",
          problem: { status: err.status, code: err.code, detail: err.detail },
        });
        conflicts++;
      }
    }
    if (sent || conflicts) changed();
    return { sent, conflicts, remaining };
  });
}
