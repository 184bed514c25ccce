// Web Push opt-in: permission → VAPID key → pushManager.subscribe → POST the subscription.
import { request } from "./api.js";
import { kvDelete, kvGet, kvSet } from "./db.js";
import { E } from "./endpoints.js";

export function pushSupported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

/** @returns {Promise<"unsupported"|"denied"|"default"|"off"|"on">} */
export async function pushState() {
  if (!pushSupported()) return "unsupported";
  if (Notification.permission === "denied") return "denied";
  if (Notification.permission === "default") return "default";
  const registration = await navigator.serviceWorker.getRegistration();
  const subscription = await registration?.pushManager.getSubscription();
  return subscription && (await kvGet("pushSubscriptionId")) ? "on" : "off";
}

function keyBytes(base64url) {
  const pad = "=".repeat((4 - (base64url.length % 4)) % 4);
  const raw = atob((base64url + pad).replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

/**
 * Why switching push on failed, by step: the API's answers keep their own words (no
 * network, server error…); the browser's push service refusing is said as such, never as
 * "no network".
 */
export class PushError extends Error {
  /** @param {"worker"|"subscribe"|"key"|"save"} step @param {any} cause */
  constructor(step, cause) {
    super(`${step}: ${cause?.message || cause}`);
    this.name = "PushError";
    this.step = step;
    this.cause = cause;
  }
}

/** Ask for permission (call from a user gesture) and subscribe this device. */
export async function enablePush() {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return permission;
  const registration = await Promise.race([
    navigator.serviceWorker.ready,
    new Promise((resolve) => setTimeout(resolve, 10_000)),
  ]);
  if (!registration) throw new PushError("worker", "no service worker");
  let publicKey;
  try {
    ({ public_key: publicKey } = await request(E.vapidKey));
  } catch (err) {
    throw new PushError("key", err);
  }
  let subscription = await registration.pushManager.getSubscription();
  if (!subscription) {
    try {
      subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(publicKey),
      });
    } catch (err) {
      throw new PushError("subscribe", err);
    }
  }
  const json = subscription.toJSON();
  let saved;
  try {
    saved = await request(E.pushSubscribe, [], {
      body: { endpoint: json.endpoint, keys: { p256dh: json.keys.p256dh, auth: json.keys.auth } },
    });
  } catch (err) {
    throw new PushError("save", err);
  }
  await kvSet("pushSubscriptionId", saved.id);
  return "on";
}

export async function disablePush() {
  const id = await kvGet("pushSubscriptionId");
  if (id) {
    try {
      await request(E.pushUnsubscribe, [id]);
    } catch {
      /* gone already */
    }
    await kvDelete("pushSubscriptionId");
  }
  const registration = await navigator.serviceWorker.getRegistration();
  const subscription = await registration?.pushManager.getSubscription();
  await subscription?.unsubscribe();
}
