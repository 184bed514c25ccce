import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { load } from "../api.js";
import { E } from "../endpoints.js";
import { fmtDate, fmtDateTime, problemText, t } from "../i18n.js";
import { lazy } from "../lazy.jsx";
import { may } from "../roles.js";
import { waitingSteps } from "../store.js";
import { ErrorBox, Icon, Link, navigate, OverdueMark, Spinner, TabBar, UrgencyMark } from "../ui.jsx";

const SignFlow = lazy(() => import("./Sign.jsx"), "SignFlow");

export const MAX_BATCH = 100;
const PAGE = 20;
const TABS = [
  { id: "waiting", label: "tabWaiting", endpoint: E.inboxWaiting, count: (c) => c?.waiting },
  // "Chờ ký": the waiting list at sign steps (server filter), with its own badge; only
  // for those who sign
  {
    id: "sign",
    label: "tabSign",
    endpoint: E.inboxWaiting,
    params: { step_kind: "sign" },
    pageSize: MAX_BATCH,
    count: (c) => c?.waiting_sign,
    when: may.sign,
  },
  { id: "done", label: "tabDone", endpoint: E.inboxDone },
  { id: "following", label: "tabFollowing", endpoint: E.inboxFollowing, count: (c) => c?.following },
];

const EMPTY = { items: [], cursor: null, end: false, loading: false, error: null, cached: false, at: 0 };

export function Inbox({ counts, queue, refreshCounts, search, roles, dataTick, selected: openId }) {
  const params = new URLSearchParams(search);
  const tabs = TABS.filter((x) => !x.when || x.when(roles));
  const tab = tabs.find((x) => x.id === params.get("tab")) || tabs[0];
  const [q, setQ] = useState(params.get("q") || "");
  const [query, setQuery] = useState(q.trim());
  const [list, setList] = useState(EMPTY);
  const [selected, setSelected] = useState(() => new Set());
  const [signing, setSigning] = useState(null);
  const generation = useRef(0);
  const listRef = useRef(list);
  listRef.current = list;

  // debounce the search box
  useEffect(() => {
    const timer = setTimeout(() => setQuery(q.trim()), 300);
    return () => clearTimeout(timer);
  }, [q]);

  const fetchPage = useCallback(
    async (reset) => {
      const gen = reset ? ++generation.current : generation.current;
      const before = reset ? EMPTY : listRef.current;
      setList({ ...before, loading: true, error: null });
      let cursor = reset ? null : before.cursor;
      const found = [];
      let cached = false;
      let at = 0;
      try {
        const r = await load(tab.endpoint, [], {
          ...tab.params,
          limit: tab.pageSize || PAGE,
          q: query || undefined,
          cursor: cursor || undefined,
        });
        cached = r.cached;
        at = r.at;
        const items = r.data.items || [];
        if (tab.endpoint === E.inboxWaiting) {
          for (const it of items) waitingSteps.set(it.document.id, { step: it.step, on_behalf_of: it.on_behalf_of });
        }
        if (reset && !r.cached && gen === generation.current) keepLater(items);
        found.push(...items);
        cursor = r.data.next_cursor;
        if (gen !== generation.current) return;
        const seen = new Set(before.items.map((x) => x.document.id));
        setList({
          items: [...before.items, ...found.filter((x) => !seen.has(x.document.id))],
          cursor,
          end: !cursor,
          loading: false,
          error: null,
          cached,
          at,
        });
      } catch (err) {
        if (gen !== generation.current) return;
        setList({ ...before, loading: false, error: problemText(err) });
      }
    },
    [tab.id, query],
  );

  const refresh = useCallback(() => {
    fetchPage(true);
    refreshCounts();
  }, [fetchPage]);

  useEffect(() => {
    setSelected(new Set());
    fetchPage(true);
  }, [tab.id, query]);

  // something changed behind the list (a queued decision was sent, the network is back)
  const firstTick = useRef(dataTick);
  useEffect(() => {
    if (dataTick !== firstTick.current) refresh();
  }, [dataTick]);

  // infinite scroll: load the next page when the end of the list comes into view
  const sentinel = useRef(null);
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !("IntersectionObserver" in window)) return;
    const io = new IntersectionObserver((entries) => {
      const l = listRef.current;
      if (entries.some((e) => e.isIntersecting) && !l.loading && !l.end && !l.error && l.items.length) {
        fetchPage(false);
      }
    }, { rootMargin: "400px" });
    io.observe(el);
    return () => io.disconnect();
  }, [fetchPage]);

  // pull to refresh (passive listeners: scrolling never waits for this code)
  const inboxRef = useRef(/** @type {HTMLDivElement|null} */ (null));
  const refreshRef = useRef(refresh);
  refreshRef.current = refresh;
  const [pullDy, setPullDy] = useState(0);
  useEffect(() => {
    const el = inboxRef.current;
    if (!el) return;
    /** @type {number|null} */
    let start = null;
    let dy = 0;
    const onStart = (e) => {
      start = window.scrollY <= 0 ? e.touches[0].clientY : null;
      dy = 0;
    };
    const onMove = (e) => {
      if (start === null) return;
      const d = e.touches[0].clientY - start;
      dy = d > 0 ? Math.min(d, 140) : 0;
      setPullDy(dy);
    };
    const onEnd = () => {
      if (dy > 80) refreshRef.current();
      start = null;
      dy = 0;
      setPullDy(0);
    };
    const passive = { passive: true };
    el.addEventListener("touchstart", onStart, passive);
    el.addEventListener("touchmove", onMove, passive);
    el.addEventListener("touchend", onEnd, passive);
    el.addEventListener("touchcancel", onEnd, passive);
    return () => {
      el.removeEventListener("touchstart", onStart);
      el.removeEventListener("touchmove", onMove);
      el.removeEventListener("touchend", onEnd);
      el.removeEventListener("touchcancel", onEnd);
    };
  }, []);

  const pendingDocs = new Set(queue.filter((x) => x.state === "pending").map((x) => x.documentId));
  const conflictDocs = new Set(queue.filter((x) => x.state === "conflict").map((x) => x.documentId));

  const toggle = (id) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else if (next.size < MAX_BATCH) next.add(id);
    setSelected(next);
  };
  const allIds = list.items.slice(0, MAX_BATCH).map((x) => x.document.id);
  const allSelected = allIds.length > 0 && allIds.every((id) => selected.has(id));

  const setTab = (id) => navigate(id === "waiting" ? "/" : `/?tab=${id}`, { replace: true });

  return (
    <div class="inbox" ref={inboxRef}>
      <h1 class="visually-hidden">{t("inbox")}</h1>
      <TabBar
        tabs={tabs.map((x) => ({ id: x.id, label: t(x.label), count: x.count?.(counts) }))}
        current={tab.id}
        onSelect={setTab}
        label={t("inbox")}
        controls="inbox-panel"
      />
      <form class="search" role="search" onSubmit={(e) => (e.preventDefault(), setQuery(q.trim()))}>
        <label for="inbox-search" class="visually-hidden">
          {t("search")}
        </label>
        <input
          id="inbox-search"
          type="search"
          enterkeyhint="search"
          placeholder={t("searchPlaceholder")}
          value={q}
          maxLength={200}
          onInput={(e) => setQ(e.currentTarget.value)}
        />
        <button type="button" class="icon-button" aria-label={t("refresh")} onClick={refresh}>
          <Icon name="refresh" />
        </button>
      </form>
      <div class="pull" style={{ height: `${pullDy * 0.5}px` }} aria-hidden="true">
        {pullDy > 0 && (pullDy > 80 ? t("releaseToRefresh") : t("pullToRefresh"))}
      </div>
      {list.cached && (
        <p class="notice" role="status">
          {t("offlineBanner")} {t("savedAt", { time: fmtDateTime(new Date(list.at).toISOString()) })}
        </p>
      )}
      {tab.id === "sign" && list.items.length > 0 && (
        <div class="select-all">
          <label class="check">
            <input
              type="checkbox"
              checked={allSelected}
              onChange={() => setSelected(allSelected ? new Set() : new Set(allIds))}
            />
            <span>{t("selectAll")}</span>
          </label>
          {selected.size > 0 && <span class="muted">{t("selected", { n: selected.size })}</span>}
        </div>
      )}
      <section id="inbox-panel" role="tabpanel" aria-labelledby={`tab-${tab.id}`} aria-busy={list.loading}>
        <ul class="doc-list">
          {list.items.map((item) => (
            <InboxRow
              key={item.document.id}
              item={item}
              selectable={tab.id === "sign"}
              selected={selected.has(item.document.id)}
              onToggle={() => toggle(item.document.id)}
              pending={pendingDocs.has(item.document.id)}
              conflict={conflictDocs.has(item.document.id)}
              open={openId === item.document.id}
            />
          ))}
        </ul>
        {list.loading && <Spinner />}
        {list.error && <ErrorBox text={list.error} onRetry={() => fetchPage(!list.items.length)} />}
        {!list.loading && !list.error && list.items.length === 0 && <p class="empty">{t("empty")}</p>}
        {!list.loading && !list.error && !list.end && list.items.length > 0 && (
          <button type="button" class="button button-block" onClick={() => fetchPage(false)}>
            {t("loadMore")}
          </button>
        )}
        <div ref={sentinel} class="sentinel" />
      </section>
      {tab.id === "sign" && selected.size > 0 && (
        <div class="action-bar">
          <button
            type="button"
            class="button button-primary button-block"
            onClick={() => setSigning(list.items.filter((x) => selected.has(x.document.id)).map((x) => x.document))}
          >
            {t("signSelected", { n: selected.size })}
          </button>
        </div>
      )}
      {signing && (
        <SignFlow
          documents={signing}
          onClose={() => setSigning(null)}
          onFinished={() => {
            setSelected(new Set());
            refresh();
          }}
        />
      )}
    </div>
  );
}

const STEP_LABEL = {
  review: "stepReview",
  sign: "stepSign",
  consult: "stepConsult",
  issue: "stepIssue",
  instruct: "stepInstruct",
};

/** After a fresh first page: keep what it shows for reading offline (idle time, lazily). */
function keepLater(items) {
  if (!items.length || navigator.connection?.saveData) return;
  const run = () => import("../offline.js").then((m) => m.keepForOffline(items)).catch(() => {});
  setTimeout(() => (window.requestIdleCallback ? requestIdleCallback(run) : run()), 3000);
}

function InboxRow({ item, selectable, selected, onToggle, pending, conflict, open }) {
  const d = item.document;
  const type = [d.document_type?.name, d.number_symbol].filter(Boolean).join(" · ");
  return (
    <li class={`doc-row${d.urgency && d.urgency !== "normal" ? " doc-row-urgent" : ""}${open ? " doc-row-open" : ""}`}>
      {selectable && (
        <label class="row-check">
          <input type="checkbox" checked={selected} onChange={onToggle} aria-label={`${t("select")}: ${d.subject}`} />
        </label>
      )}
      <Link href={`/documents/${d.id}`} class="doc-link" aria-current={open ? "page" : undefined}>
        <span class="doc-marks">
          <UrgencyMark urgency={d.urgency} />
          <OverdueMark overdue={item.overdue} />
          {pending && <span class="mark mark-pending">{t("pendingSend")}</span>}
          {conflict && <span class="mark mark-overdue">!</span>}
        </span>
        <span class="doc-subject">{d.subject}</span>
        {item.sender && <span class="doc-meta doc-sender">{t("fromWhom", { name: item.sender })}</span>}
        <span class="doc-meta">{type}</span>
        <span class="doc-meta">
          {item.step && STEP_LABEL[item.step.kind] && (
            <>{item.step.kind === "instruct" ? t("stepInstruct") : item.step.label || t(STEP_LABEL[item.step.kind])} · </>
          )}
          {d.due_date ? t("due", { date: fmtDate(d.due_date) }) : item.arrived_at ? t("arrived", { time: fmtDateTime(item.arrived_at) }) : ""}
          {item.on_behalf_of?.full_name && <> · {t("onBehalf", { name: item.on_behalf_of.full_name })}</>}
        </span>
      </Link>
    </li>
  );
}
