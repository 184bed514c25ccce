// The application shell: who is signed in, the language, the network, the badge counts,
// the offline queue, and which screen shows.
import { useCallback, useEffect, useState } from "preact/hooks";
import { forgetAuthCache, getAuth, load, onSignedOut } from "./api.js";
import { kvGet, kvSet } from "./db.js";
import { E } from "./endpoints.js";
import { getLang, onLangChange, t } from "./i18n.js";
import { pushState } from "./push.js";
import { listQueue, onQueueChange, replayQueue } from "./queue.js";
import { DocumentView } from "./screens/DocumentView.jsx";
import { Devices } from "./screens/Devices.jsx";
import { Inbox } from "./screens/Inbox.jsx";
import { Login } from "./screens/Login.jsx";
import { Notifications } from "./screens/Notifications.jsx";
import { PushPrompt } from "./screens/PushPrompt.jsx";
import { Settings } from "./screens/Settings.jsx";
import { Icon, Link, navigate, Toasts, useLocation } from "./ui.jsx";

export function App() {
  const [auth, setAuth] = useState(/** @type {any} */ (undefined));
  const [, setLangTick] = useState(getLang());
  const [online, setOnline] = useState(navigator.onLine);
  const [counts, setCounts] = useState(/** @type {any} */ (null));
  const [queue, setQueue] = useState(/** @type {any[]} */ ([]));
  const [endMessage, setEndMessage] = useState("");
  const [askPush, setAskPush] = useState(false);
  const loc = useLocation();

  useEffect(() => onLangChange(setLangTick), []);
  useEffect(() => {
    getAuth().then(setAuth);
    return onSignedOut((reason) => {
      setAuth(null);
      setEndMessage(reason === "signed-out" ? "" : reason === "revoked" ? t("deviceRevoked") : t("sessionEnded"));
      navigate("/login", { replace: true });
    });
  }, []);

  const refreshCounts = useCallback(async () => {
    try {
      const { data } = await load(E.inboxCounts);
      setCounts(data);
    } catch {
      /* badges are optional */
    }
  }, []);

  const refreshQueue = useCallback(() => listQueue().then(setQueue), []);

  const replay = useCallback(async () => {
    if (!navigator.onLine) return;
    try {
      const result = await replayQueue();
      if (result.sent) refreshCounts();
    } catch {
      /* stays queued */
    }
    refreshQueue();
  }, []);

  useEffect(() => {
    const up = () => {
      setOnline(true);
      replay();
    };
    const down = () => setOnline(false);
    addEventListener("online", up);
    addEventListener("offline", down);
    const offQueue = onQueueChange(refreshQueue);
    refreshQueue();
    const onMessage = (e) => {
      const msg = e.data || {};
      if (msg.type === "queue-changed") refreshQueue();
      if (msg.type === "push") refreshCounts();
      if (msg.type === "open" && msg.url) navigate(msg.url);
    };
    navigator.serviceWorker?.addEventListener("message", onMessage);
    const onStorage = () => forgetAuthCache();
    addEventListener("storage", onStorage);
    return () => {
      removeEventListener("online", up);
      removeEventListener("offline", down);
      offQueue();
      navigator.serviceWorker?.removeEventListener("message", onMessage);
      removeEventListener("storage", onStorage);
    };
  }, []);

  useEffect(() => {
    if (!auth) return;
    refreshCounts();
    replay();
    const timer = setInterval(() => document.visibilityState === "visible" && refreshCounts(), 60_000);
    const onVisible = () => document.visibilityState === "visible" && refreshCounts();
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [auth]);

  /** After the user's first decision: a sensible moment to offer notifications. */
  const afterDecision = useCallback(async () => {
    refreshCounts();
    if ((await pushState()) !== "default") return;
    if (await kvGet("pushAsked")) return;
    await kvSet("pushAsked", true);
    setAskPush(true);
  }, []);

  if (auth === undefined) return null;

  if (!auth) {
    return (
      <>
        <Login
          message={endMessage}
          onSignedIn={(a) => {
            setEndMessage("");
            setAuth(a);
            navigate("/", { replace: true });
          }}
        />
        <Toasts />
      </>
    );
  }
  if (loc.path === "/login") navigate("/", { replace: true });

  const docMatch = loc.path.match(/^\/documents\/(\d+)/);
  const ctx = { auth, counts, queue, online, refreshCounts, afterDecision, refreshQueue };
  let screen;
  if (docMatch) screen = <DocumentView id={Number(docMatch[1])} {...ctx} />;
  else if (loc.path === "/notifications") screen = <Notifications {...ctx} />;
  else if (loc.path === "/devices") screen = <Devices {...ctx} />;
  else if (loc.path === "/settings") screen = <Settings {...ctx} onAuth={setAuth} />;
  else screen = <Inbox {...ctx} search={loc.search} />;

  return (
    <>
      <a class="skip-link" href="#main">
        {t("skipToContent")}
      </a>
      <TopBar counts={counts} online={online} queue={queue} path={loc.path} />
      <main id="main" tabIndex={-1}>
        {screen}
      </main>
      {askPush && <PushPrompt onClose={() => setAskPush(false)} />}
      <Toasts />
    </>
  );
}

function TopBar({ counts, online, queue, path }) {
  const unread = counts?.notifications_unread || 0;
  const pending = queue.filter((q) => q.state === "pending").length;
  return (
    <header class="topbar">
      {path !== "/" ? (
        <button
          type="button"
          class="icon-button"
          aria-label={t("back")}
          onClick={() => (history.length > 1 ? history.back() : navigate("/"))}
        >
          <Icon name="back" />
        </button>
      ) : (
        <span class="brand" aria-hidden="true">
          ✓
        </span>
      )}
      <Link href="/" class="topbar-title">
        {t("app")}
      </Link>
      {!online && (
        <span class="chip chip-offline" role="status">
          {t("offline")}
        </span>
      )}
      {pending > 0 && (
        <span class="chip chip-pending" role="status">
          {t("pendingSend")} · {pending}
        </span>
      )}
      <nav class="topbar-actions" aria-label={t("mainNav")}>
        {/* named by its content, not aria-label: the visible count is part of the name */}
        <Link href="/notifications" class="icon-button">
          <Icon name="bell" />
          <span class="visually-hidden">{t("notifications")}</span>{" "}
          {unread > 0 && (
            <span class="badge">
              {unread > 99 ? "99+" : unread}
              <span class="visually-hidden"> {t("unread").toLowerCase()}</span>
            </span>
          )}
        </Link>
        <Link href="/settings" class="icon-button" aria-label={t("settings")}>
          <Icon name="gear" />
        </Link>
      </nav>
    </header>
  );
}

