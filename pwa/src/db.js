// IndexedDB, shared by the page and the service worker (both import this module).
//   kv     — tokens, settings (language), small flags, the index of kept page images
//   cache  — JSON answers of GET requests, by URL (offline reading)
//   images — page images (Blobs), by URL
//   queue  — decisions taken offline, replayed when the network returns
import { openDB } from "idb";

const DB_NAME = "trinhky";
const DB_VERSION = 1;
/** @type {Promise<import("idb").IDBPDatabase> | null} */
let dbPromise = null;

export function db() {
  if (!dbPromise) {
    dbPromise = openDB(DB_NAME, DB_VERSION, {
      upgrade(d) {
        d.createObjectStore("kv");
        d.createObjectStore("cache");
        d.createObjectStore("images");
        d.createObjectStore("queue", { keyPath: "id" });
      },
    });
  }
  return dbPromise;
}

export async function kvGet(key) {
  return (await db()).get("kv", key);
}
export async function kvSet(key, value) {
  return (await db()).put("kv", value, key);
}
export async function kvDelete(key) {
  return (await db()).delete("kv", key);
}

/** Remove everything a signed-in user left behind (sign-out, revoked device). */
export async function clearUserData() {
  const d = await db();
  const tx = d.transaction(["kv", "cache", "images", "queue"], "readwrite");
  await Promise.all([
    tx.objectStore("kv").delete("auth"),
    tx.objectStore("kv").delete("pushSubscriptionId"),
    tx.objectStore("kv").delete("imageIndex"),
    tx.objectStore("cache").clear(),
    tx.objectStore("images").clear(),
    tx.objectStore("queue").clear(),
    tx.done,
  ]);
}
