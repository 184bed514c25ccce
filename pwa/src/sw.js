// The service worker: the app shell precached by Workbox (manifest injected at build),
// Web Push display and click, and Background Sync of the offline decision queue.
import { clientsClaim } from "workbox-core";
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from "workbox-precaching";
import { NavigationRoute, registerRoute } from "workbox-routing";
import { answerRefresh } from "./api.js";
import { replayQueue, SYNC_TAG } from "./queue.js";

self.skipWaiting();
clientsClaim();
cleanupOutdatedCaches();
precacheAndRoute(self.__WB_MANIFEST);

// Every app path (/documents/12, /settings …) is the app shell; the API is never cached
// here (the app keeps its own copies in IndexedDB, per user, cleared on sign-out).
registerRoute(
  new NavigationRoute(createHandlerBoundToURL("/index.html"), {
    denylist: [/^\/api\//, /^\/healthz/, /^\/readyz/],
  }),
);

async function tellClients(message) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) client.postMessage(message);
}

// -- push ---------------------------------------------------------------------------------

/** The payload is JSON with title, body, urgency, url/document_id; any may be missing. */
function notificationFromPush(data) {
  let payload = {};
  try {
    payload = data ? data.json() : {};
  } catch {
    payload = { body: data?.text?.() || "" };
  }
  if (!payload || typeof payload !== "object") payload = { body: String(payload ?? "") };
  const documentId = payload.document_id ?? payload.data?.document_id;
  const url =
    typeof payload.url === "string" && payload.url.startsWith("/")
      ? payload.url
      : documentId
        ? `/documents/${documentId}`
        : "/notifications";
  const urgent = ["hoa_toc", "thuong_khan", "khan", "high", "urgent"].includes(payload.urgency) || payload.urgent === true;
  return {
    title: payload.title || "Trình Ký",
    options: {
      body: payload.body || "",
      tag: payload.tag || (documentId ? `document-${documentId}` : undefined),
      icon: "/icons/icon-192.png",
      badge: "/icons/favicon-32.png",
      lang: "vi",
      requireInteraction: urgent,
      renotify: Boolean(payload.tag || documentId),
      data: { url },
    },
  };
}

self.addEventListener("push", (event) => {
  const { title, options } = notificationFromPush(event.data);
  event.waitUntil(Promise.all([self.registration.showNotification(title, options), tellClients({ type: "push" })]));
});

/**
 * Open what a notification is about: an open window of the app goes there (the page
 * navigates on {type: "open"}) and comes to the front; without one, a new window opens.
 * The message goes first: focus() may be refused (no user activation), the navigation
 * must happen all the same.
 */
async function openFromNotification(notification) {
  notification.close();
  const url = notification.data?.url || "/";
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const client = windows.find((c) => new URL(c.url).origin === self.location.origin);
  if (client) {
    client.postMessage({ type: "open", url });
    await client.focus().catch(() => {});
    return;
  }
  await self.clients.openWindow(url);
}

self.addEventListener("notificationclick", (event) => {
  // started before waitUntil, which only keeps the worker alive until it settles
  const opening = openFromNotification(event.notification);
  event.waitUntil(opening);
});

// -- offline queue ------------------------------------------------------------------------

async function replay() {
  const result = await replayQueue();
  await tellClients({ type: "queue-changed" });
  if (result.remaining) throw new Error("still offline: Background Sync will try again");
}

self.addEventListener("sync", (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(replay());
});

self.addEventListener("message", (event) => {
  const msg = event.data || {};
  if (msg.type === "replay") event.waitUntil(replay().catch(() => {}));
  // token refresh on behalf of a page: finishes and saves even if the page goes away
  if (msg.type === "refresh" && event.ports[0]) event.waitUntil(answerRefresh(msg.stale, event.ports[0]));
});
