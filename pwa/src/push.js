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

/** Ask for permission (call from a user gesture) and subscribe this device. */
export async function enablePush() {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return permission;
  const registration = await navigator.serviceWorker.ready;
  const { public_key: publicKey } = await request(E.vapidKey);
  let subscription = await registration.pushManager.getSubscription();
  if (!subscription) {
    subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(publicKey),
    });
  }
  const json = subscription.toJSON();
  const saved = await request(E.pushSubscribe, [], {
    body: { endpoint: json.endpoint, keys: { p256dh: json.keys.p256dh, auth: json.keys.auth } },
  });
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
