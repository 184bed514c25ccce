// The application shell: who is signed in, the language, the network, the badge counts,
// the offline queue, which screen shows — and, at a desk (≥ 1024 px), the list and the
// detail side by side. Screens other than sign-in and the inbox are loaded when first
// shown (src/lazy.jsx), so a leader's phone downloads the leader's screens only.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { forgetAuthCache, getAuth, load, onSignedOut } from "./api.js";
import { kvGet, kvSet } from "./db.js";
import { E } from "./endpoints.js";
import { getLang, onLangChange, t } from "./i18n.js";
import { lazy } from "./lazy.jsx";
import { pushState } from "./push.js";
import { listQueue, onQueueChange, replayQueue } from "./queue.js";
import { may, rolesOf } from "./roles.js";
import { Inbox } from "./screens/Inbox.jsx";
import { Login } from "./screens/Login.jsx";
import { ErrorBox, Icon, Link, navigate, Toasts, useLocation, useMedia } from "./ui.jsx";

const DocumentView = lazy(() => import("./screens/DocumentView.jsx"), "DocumentView");
const Notifications = lazy(() => import("./screens/Notifications.jsx"), "Notifications");
const Settings = lazy(() => import("./screens/Settings.jsx"), "Settings");
const Devices = lazy(() => import("./screens/Devices.jsx"), "Devices");
const PushPrompt = lazy(() => import("./screens/PushPrompt.jsx"), "PushPrompt");
const Drafts = lazy(() => import("./screens/drafting/Drafts.jsx"), "Drafts");
const DraftForm = lazy(() => import("./screens/drafting/DraftForm.jsx"), "DraftForm");
const RouteBuilder = lazy(() => import("./screens/drafting/RouteBuilder.jsx"), "RouteBuilder");
const WorkList = lazy(() => import("./screens/work/WorkList.jsx"), "WorkList");
const WorkView = lazy(() => import("./screens/work/WorkView.jsx"), "WorkView");
const IncomingList = lazy(() => import("./screens/clerk/IncomingList.jsx"), "IncomingList");
const IncomingForm = lazy(() => import("./screens/clerk/IncomingForm.jsx"), "IncomingForm");
const IssueScreen = lazy(() => import("./screens/clerk/Issue.jsx"), "IssueScreen");
const Registers = lazy(() => import("./screens/clerk/Registers.jsx"), "Registers");
const Search = lazy(() => import("./screens/Search.jsx"), "Search");
const Dashboard = lazy(() => import("./screens/overview/Dashboard.jsx"), "Dashboard");
const Reports = lazy(() => import("./screens/overview/Reports.jsx"), "Reports");
const ReportDocuments = lazy(() => import("./screens/overview/ReportDocuments.jsx"), "ReportDocuments");
const Calendar = lazy(() => import("./screens/calendar/Calendar.jsx"), "Calendar");
const EventView = lazy(() => import("./screens/calendar/EventView.jsx"), "EventView");
const EventForm = lazy(() => import("./screens/calendar/EventForm.jsx"), "EventForm");
const Delegations = lazy(() => import("./screens/Delegations.jsx"), "Delegations");
const SigningSettings = lazy(() => import("./screens/settings/SigningSettings.jsx"), "SigningSettings");
const NotificationSettings = lazy(() => import("./screens/settings/NotificationSettings.jsx"), "NotificationSettings");
const Phrases = lazy(() => import("./screens/settings/Phrases.jsx"), "Phrases");
const Validate = lazy(() => import("./screens/Validate.jsx"), "Validate");
const AdminMenu = lazy(() => import("./screens/admin/AdminMenu.jsx"), "AdminMenu");
const AdminUnits = lazy(() => import("./screens/admin/Units.jsx"), "Units");
const AdminUsers = lazy(() => import("./screens/admin/Users.jsx"), "Users");
const AdminUser = lazy(() => import("./screens/admin/Users.jsx"), "UserEdit");
const AdminCredentials = lazy(() => import("./screens/admin/Credentials.jsx"), "Credentials");
const AdminSigning = lazy(() => import("./screens/admin/Credentials.jsx"), "SigningLevel");
const AdminWebhooks = lazy(() => import("./screens/admin/Webhooks.jsx"), "Webhooks");
const AdminWebhook = lazy(() => import("./screens/admin/Webhooks.jsx"), "Deliveries");
const AdminAudit = lazy(() => import("./screens/admin/Audit.jsx"), "Audit");

/** The sections of the navigation, for the roles the person has (most used first). */
function sections(roles) {
  const out = [{ href: "/", label: "navInbox", icon: "inbox" }];
  if (may.overview(roles) && !may.clerk(roles)) out.push({ href: "/dashboard", label: "navOverview", icon: "chart" });
  if (may.draft(roles)) out.push({ href: "/drafts", label: "navDrafts", icon: "pen" });
  if (may.work(roles)) out.push({ href: "/assignments", label: "navWork", icon: "tasks" });
  else if (may.assign(roles)) out.push({ href: "/assignments", label: "navFollowWork", icon: "tasks" });
  if (may.clerk(roles)) out.push({ href: "/incoming", label: "navIncoming", icon: "tray" });
  if (may.admin(roles)) out.push({ href: "/admin", label: "navAdmin", icon: "shield" });
  out.push({ href: "/calendar", label: "navCalendar", short: "navCalendarShort", icon: "calendar" });
  if (may.registers(roles)) out.push({ href: "/registers", label: "navRegisters", icon: "book" });
  // a clerk who also heads a unit (a Chánh Văn phòng) finds the overview under "more"
  if (may.overview(roles) && may.clerk(roles)) out.push({ href: "/dashboard", label: "navOverview", icon: "chart" });
  return out;
}

/** A phone's bottom bar holds five: past that, four and "more". */
const BOTTOM_MAX = 5;
function bottomSections(nav) {
  if (nav.length <= BOTTOM_MAX) return nav;
  return [...nav.slice(0, BOTTOM_MAX - 1), { href: "/more", label: "navMore", icon: "more" }];
}

const LISTS = {
  "/": Inbox,
  "/drafts": Drafts,
  "/assignments": WorkList,
  "/incoming": IncomingList,
  "/search": Search,
  "/reports/documents": ReportDocuments,
  "/calendar": Calendar,
  "/admin": AdminMenu,
};
/** Screens for some roles only: typed by hand, the others are told so (the server refuses
 * their calls anyway). */
const GUARDS = [
  [/^\/admin/, may.admin],
  [/^\/(dashboard|reports)/, may.overview],
  [/^\/calendar\/(new|events\/\d+\/edit)$/, may.keepCalendar],
];
/** Lists shown across the whole desk until something is opened (the week's table). */
const WIDE = new Set(["/calendar"]);
const ADMIN_AREAS = {
  units: AdminUnits,
  users: AdminUsers,
  credentials: AdminCredentials,
  signing: AdminSigning,
  webhooks: AdminWebhooks,
  audit: AdminAudit,
};
const PAGES = {
  "/registers": Registers,
  "/dashboard": Dashboard,
  "/reports": Reports,
  "/delegations": Delegations,
  "/settings/signing": SigningSettings,
  "/settings/notifications": NotificationSettings,
  "/settings/phrases": Phrases,
  "/validate": Validate,
};
/** The list last shown (path + query), for the list pane beside a detail at a desk. */
let lastList = { path: "/", search: "" };

/**
 * Which list and which detail a path shows.
 * @returns {{list?: string, detail?: any, page?: any, id?: number}}
 */
function screenFor(path) {
  if (LISTS[path]) return { list: path };
  let m;
  if (path === "/drafts/new") return { list: "/drafts", detail: DraftForm };
  if ((m = path.match(/^\/documents\/(\d+)$/))) return { list: lastList.path, detail: DocumentView, id: +m[1] };
  if ((m = path.match(/^\/documents\/(\d+)\/edit$/))) return { list: "/drafts", detail: DraftForm, id: +m[1] };
  if ((m = path.match(/^\/documents\/(\d+)\/route$/))) return { list: "/drafts", detail: RouteBuilder, id: +m[1] };
  if ((m = path.match(/^\/documents\/(\d+)\/issue$/))) return { list: lastList.path, detail: IssueScreen, id: +m[1] };
  if ((m = path.match(/^\/documents\/(\d+)\/register$/))) return { list: "/incoming", detail: IncomingForm, id: +m[1] };
  if (path === "/incoming/new") return { list: "/incoming", detail: IncomingForm };
  if ((m = path.match(/^\/assignments\/(\d+)$/))) return { list: "/assignments", detail: WorkView, id: +m[1] };
  if (PAGES[path]) return { page: PAGES[path] };
  if (path === "/calendar/new") return { list: "/calendar", detail: EventForm };
  if ((m = path.match(/^\/calendar\/events\/(\d+)$/))) return { list: "/calendar", detail: EventView, id: +m[1] };
  if ((m = path.match(/^\/calendar\/events\/(\d+)\/edit$/))) return { list: "/calendar", detail: EventForm, id: +m[1] };
  if ((m = path.match(/^\/admin\/(\w+)$/)) && ADMIN_AREAS[m[1]]) return { list: "/admin", detail: ADMIN_AREAS[m[1]] };
  if (path === "/admin/users/new") return { list: "/admin", detail: AdminUser };
  if ((m = path.match(/^\/admin\/users\/(\d+)$/))) return { list: "/admin", detail: AdminUser, id: +m[1] };
  if ((m = path.match(/^\/admin\/webhooks\/(\d+)$/))) return { list: "/admin", detail: AdminWebhook, id: +m[1] };
  if (path === "/more") return { page: More };
  if (path === "/notifications") return { page: Notifications };
  if (path === "/settings") return { page: Settings };
  if (path === "/devices") return { page: Devices };
  return { list: "/" };
}

export function App() {
  const [auth, setAuth] = useState(/** @type {any} */ (undefined));
  const [, setLangTick] = useState(getLang());
  const [online, setOnline] = useState(navigator.onLine);
  const [counts, setCounts] = useState(/** @type {any} */ (null));
  const [queue, setQueue] = useState(/** @type {any[]} */ ([]));
  const [endMessage, setEndMessage] = useState("");
  const [askPush, setAskPush] = useState(false);
  // bumped when what the lists show changed behind their back (a queued decision was sent)
  const [dataTick, setDataTick] = useState(0);
  const loc = useLocation();
  const desk = useMedia("(min-width: 1024px)");
  const detailRef = useRef(/** @type {HTMLElement|null} */ (null));

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

  // a queue that got shorter sent something: the lists and badges are out of date
  const pendingBefore = useRef(0);
  const refreshQueue = useCallback(
    () =>
      listQueue().then((items) => {
        const pending = items.filter((q) => q.state === "pending").length;
        if (pending < pendingBefore.current && navigator.onLine) {
          setDataTick((n) => n + 1);
          refreshCounts();
        }
        pendingBefore.current = pending;
        setQueue(items);
      }),
    [],
  );

  const replay = useCallback(async () => {
    if (!navigator.onLine) return;
    try {
      await replayQueue();
    } catch {
      /* stays queued */
    }
    refreshQueue();
  }, []);

  useEffect(() => {
    const up = () => {
      setOnline(true);
      setDataTick((n) => n + 1); // the lists were the copies kept offline: fetch them again
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
    // "/" opens the search from anywhere (not while typing)
    const onKey = (e) => {
      const el = /** @type {HTMLElement} */ (e.target);
      if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || el.isContentEditable) return;
      if (["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName)) return;
      e.preventDefault();
      navigate("/search");
    };
    addEventListener("keydown", onKey);
    return () => {
      removeEventListener("online", up);
      removeEventListener("offline", down);
      offQueue();
      navigator.serviceWorker?.removeEventListener("message", onMessage);
      removeEventListener("storage", onStorage);
      removeEventListener("keydown", onKey);
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

  // a new detail starts at its top (the pane scrolls on its own at a desk)
  useEffect(() => {
    detailRef.current?.scrollTo?.(0, 0);
  }, [loc.path]);

  /** After the user's first decision: a sensible moment to offer notifications. */
  const afterDecision = useCallback(async () => {
    refreshCounts();
    setDataTick((n) => n + 1);
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

  const roles = rolesOf(auth.user);
  const nav = sections(roles);
  const bottom = bottomSections(nav);
  const screen = screenFor(loc.path);
  const ctx = { auth, roles, counts, queue, online, refreshCounts, afterDecision, refreshQueue, dataTick, desk, nav, bottom };

  if (screen.list && !screen.detail) lastList = { path: screen.list, search: loc.search };
  const listSearch = screen.detail ? (lastList.path === screen.list ? lastList.search : "") : loc.search;
  const List = screen.list ? LISTS[screen.list] : null;
  const listPane = List && <List {...ctx} search={listSearch} selected={screen.id} wide={desk && !screen.detail} />;
  const Detail = screen.detail;
  const detailPane = Detail && <Detail key={loc.path} id={screen.id} {...ctx} search={loc.search} />;
  const Page = screen.page;

  let body;
  if (GUARDS.some(([re, ok]) => re.test(loc.path) && !ok(roles))) body = <ErrorBox text={t("errForbidden")} />;
  else if (Page) body = <Page {...ctx} onAuth={setAuth} search={loc.search} />;
  else if (desk && !Detail && WIDE.has(screen.list)) body = listPane; // the week as a table, full width
  else if (desk) {
    body = (
      <div class="split">
        <div class="pane pane-list">{listPane}</div>
        <div class="pane pane-detail" ref={detailRef}>
          {detailPane || <p class="empty">{t("pickOne")}</p>}
        </div>
      </div>
    );
  } else body = detailPane || listPane;

  // a section's own screen: the brand instead of "back", and on a phone the bottom bar
  // (a detail has its own bar)
  const isRoot = !Detail && (nav.some((s) => s.href === loc.path) || (loc.path === "/more" && bottom !== nav));
  const bottomNav = !desk && isRoot && bottom.length > 1;

  return (
    <>
      <a class="skip-link" href="#main">
        {t("skipToContent")}
      </a>
      <TopBar counts={counts} online={online} queue={queue} root={isRoot} nav={desk ? nav : null} path={loc.path} />
      <main id="main" tabIndex={-1} class={`${desk && !Page && !(WIDE.has(screen.list) && !Detail) ? "main-desk" : ""}${bottomNav ? " with-bottom-nav" : ""}`}>
        {body}
      </main>
      {bottomNav && <BottomNav nav={bottom} path={loc.path} counts={counts} overflow={nav.slice(BOTTOM_MAX - 1)} />}
      {askPush && <PushPrompt onClose={() => setAskPush(false)} />}
      <Toasts />
    </>
  );
}

function current(href, path) {
  if (href === "/") return path === "/" || path.startsWith("/documents/");
  if (href === "/dashboard") return path === href || path.startsWith("/reports");
  return path === href || path.startsWith(`${href}/`);
}

function TopBar({ counts, online, queue, root, nav, path }) {
  const unread = counts?.notifications_unread || 0;
  const pending = queue.filter((q) => q.state === "pending").length;
  return (
    <>
      <header class="topbar">
        {!root ? (
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
        {nav && (
          <nav class="topbar-sections" aria-label={t("sections")}>
            {nav.map((s) => (
              <Link key={s.href} href={s.href} class="topbar-section" aria-current={current(s.href, path) ? "page" : undefined}>
                {t(s.label)}
              </Link>
            ))}
          </nav>
        )}
        <nav class="topbar-actions" aria-label={t("mainNav")}>
          <Link href="/search" class="icon-button" aria-label={t("searchAll")} aria-current={path === "/search" ? "page" : undefined}>
            <Icon name="search" />
          </Link>
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
      {(!online || pending > 0) && (
        <p class="status-strip" role="status" aria-label={t("statusLine")}>
          {!online && <span class="chip chip-offline">{t("offline")}</span>}
          {pending > 0 && <span class="chip chip-pending">{t("pendingCount", { n: pending })}</span>}
        </p>
      )}
    </>
  );
}

function BottomNav({ nav, path, counts, overflow }) {
  const here = (href) => (href === "/more" ? path === "/more" || overflow.some((s) => current(s.href, path)) : current(href, path));
  return (
    <nav class="bottom-nav" aria-label={t("sections")}>
      {nav.map((s) => (
        <Link key={s.href} href={s.href} class="bottom-nav-item" aria-current={here(s.href) ? "page" : undefined}>
          <Icon name={s.icon} size={22} />
          <span class="bottom-nav-label">{t(s.short || s.label)}</span>
          {s.href === "/" && counts?.waiting > 0 && (
            <span class="badge bottom-nav-badge">{counts.waiting > 99 ? "99+" : counts.waiting}</span>
          )}
        </Link>
      ))}
    </nav>
  );
}

/** "Thêm" on a phone: the sections the bottom bar had no room for. */
function More({ nav }) {
  const rest = nav.slice(BOTTOM_MAX - 1);
  return (
    <section class="screen">
      <h1>{t("navMore")}</h1>
      <ul class="menu-list">
        {rest.map((s) => (
          <li key={s.href}>
            <Link href={s.href} class="menu-item">
              <Icon name={s.icon} size={22} />
              <span>{t(s.label)}</span>
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}
