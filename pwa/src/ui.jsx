// Small shared pieces: routing, toasts, the bottom sheet, marks.
import { useEffect, useRef, useState } from "preact/hooks";
import { t } from "./i18n.js";

// -- routing (History API; Flask answers index.html for every app path) ----------------

export function navigate(to, { replace = false } = {}) {
  if (to === location.pathname + location.search) return;
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  dispatchEvent(new PopStateEvent("popstate"));
  window.scrollTo(0, 0);
}

export function useLocation() {
  const [loc, setLoc] = useState(() => ({ path: location.pathname, search: location.search }));
  useEffect(() => {
    const on = () => setLoc({ path: location.pathname, search: location.search });
    addEventListener("popstate", on);
    return () => removeEventListener("popstate", on);
  }, []);
  return loc;
}

/** Whether a media query matches, following its changes (the desk layout at ≥ 1024 px). */
export function useMedia(query) {
  const [matches, setMatches] = useState(() => matchMedia(query).matches);
  useEffect(() => {
    const m = matchMedia(query);
    const on = () => setMatches(m.matches);
    m.addEventListener("change", on);
    return () => m.removeEventListener("change", on);
  }, [query]);
  return matches;
}

/** An <a> that navigates inside the app. */
export function Link({ href, children, ...rest }) {
  const onClick = (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}

// -- toasts ------------------------------------------------------------------------------

const toastListeners = new Set();
/** Show a short message (announced to screen readers). */
export function toast(text, kind = "info") {
  for (const fn of toastListeners) fn({ text, kind, id: Math.random() });
}

export function Toasts() {
  const [items, setItems] = useState([]);
  useEffect(() => {
    const on = (item) => {
      setItems((xs) => [...xs.slice(-2), item]);
      setTimeout(() => setItems((xs) => xs.filter((x) => x.id !== item.id)), 5000);
    };
    toastListeners.add(on);
    return () => toastListeners.delete(on);
  }, []);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {items.map((i) => (
        <p key={i.id} class={`toast toast-${i.kind}`}>
          {i.text}
        </p>
      ))}
    </div>
  );
}

// -- bottom sheet dialog -----------------------------------------------------------------

export function Sheet({ title, onClose, children, labelledBy = "sheet-title" }) {
  const ref = useRef(null);
  useEffect(() => {
    const before = document.activeElement;
    const first = ref.current?.querySelector("textarea, input, select, button:not(.sheet-close)");
    (first || ref.current)?.focus();
    const onKey = (e) => e.key === "Escape" && onClose();
    addEventListener("keydown", onKey);
    return () => {
      removeEventListener("keydown", onKey);
      before?.focus?.();
    };
  }, []);
  return (
    <div class="sheet-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="sheet" role="dialog" aria-modal="true" aria-labelledby={labelledBy} ref={ref} tabIndex={-1}>
        <div class="sheet-head">
          <h2 id={labelledBy}>{title}</h2>
          <button type="button" class="icon-button sheet-close" onClick={onClose} aria-label={t("close")}>
            ✕
          </button>
        </div>
        {children}
      </div>
    </div>
  );
}

// -- marks -------------------------------------------------------------------------------

export function UrgencyMark({ urgency }) {
  if (!urgency || urgency === "normal") return null;
  return <span class={`mark mark-urgent mark-${urgency}`}>{t(`urgency_${urgency}`)}</span>;
}

export function OverdueMark({ overdue }) {
  return overdue ? <span class="mark mark-overdue">{t("overdue")}</span> : null;
}

/**
 * Tabs of a list (role tablist). At a phone's width they share the row equally, the label
 * on one line and its count under it, so four tabs and their badges fit 390 px.
 * @param {{tabs: {id:string, label:string, count?:number}[], current:string,
 *          onSelect:(id:string)=>void, label:string, controls:string}} props
 */
export function TabBar({ tabs, current, onSelect, label, controls }) {
  return (
    <div class="tabs" role="tablist" aria-label={label}>
      {tabs.map((x) => (
        <button
          key={x.id}
          type="button"
          role="tab"
          id={`tab-${x.id}`}
          aria-selected={x.id === current}
          aria-controls={controls}
          class="tab"
          onClick={() => onSelect(x.id)}
        >
          <span class="tab-label">{x.label}</span>
          {x.count > 0 && (
            <span class="tab-count">
              <Badge n={x.count} />
            </span>
          )}
        </button>
      ))}
    </div>
  );
}

export function Badge({ n, label }) {
  if (!n) return null;
  return (
    <span class="badge" aria-label={label}>
      {n > 99 ? "99+" : n}
    </span>
  );
}

export function ErrorBox({ text, onRetry }) {
  return (
    <div class="error-box" role="alert">
      <p>{text}</p>
      {onRetry && (
        <button type="button" class="button" onClick={onRetry}>
          {t("retry")}
        </button>
      )}
    </div>
  );
}

export function Spinner() {
  return (
    <p class="muted center" role="status">
      {t("loading")}
    </p>
  );
}

// -- icons (inline SVG: no icon font, nothing to download) -----------------------------

const ICONS = {
  bell: "M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z",
  gear: "M19.4 13a7.8 7.8 0 0 0 0-2l2.1-1.6-2-3.5-2.5 1a7.6 7.6 0 0 0-1.7-1L15 3.3h-4l-.4 2.6a7.6 7.6 0 0 0-1.7 1l-2.5-1-2 3.5L6.6 11a7.8 7.8 0 0 0 0 2l-2.1 1.6 2 3.5 2.5-1a7.6 7.6 0 0 0 1.7 1l.4 2.6h4l.4-2.6a7.6 7.6 0 0 0 1.7-1l2.5 1 2-3.5ZM13 15.5a3.5 3.5 0 1 1 0-7 3.5 3.5 0 0 1 0 7Z",
  back: "M15.5 4.5 8 12l7.5 7.5 1.5-1.5-6-6 6-6Z",
  refresh: "M17.65 6.35A8 8 0 1 0 19.73 14h-2.08A6 6 0 1 1 12 6a5.9 5.9 0 0 1 4.22 1.78L13 11h7V4Z",
  inbox: "M4 4h16a1 1 0 0 1 1 1v14a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1Zm1 2v7h4a3 3 0 0 0 6 0h4V6Zm0 9v3h14v-3h-2.3a5 5 0 0 1-9.4 0Z",
  pen: "M3 17.25V21h3.75L17.8 9.94l-3.75-3.75Zm17.7-10.2a1 1 0 0 0 0-1.42l-2.33-2.33a1 1 0 0 0-1.42 0l-1.83 1.83 3.75 3.75Z",
  tasks: "M9 5h12v2H9Zm0 6h12v2H9Zm0 6h12v2H9ZM3.5 7.6 2 6.1l1.1-1.1.4.4L5.9 3 7 4.1Zm0 6L2 12.1l1.1-1.1.4.4L5.9 9 7 10.1Zm0 6L2 18.1 3.1 17l.4.4L5.9 15 7 16.1Z",
  tray: "M12 3 7 8h3.5v6h3V8H17Zm-9 11h2v4h14v-4h2v6H3Z",
  book: "M6 2h12a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2Zm0 2v16h12V4h-2v7l-2.5-1.5L11 11V4Z",
  plus: "M11 5h2v6h6v2h-6v6h-2v-6H5v-2h6Z",
  up: "M12 7.5 4.5 15 6 16.5l6-6 6 6 1.5-1.5Z",
  down: "M12 16.5 19.5 9 18 7.5l-6 6-6-6L4.5 9Z",
  trash: "M9 3h6l1 1h4v2H4V4h4Zm-3 5h12l-1 13H7Z",
  search: "M10 3a7 7 0 0 1 5.6 11.2l5.1 5.1-1.4 1.4-5.1-5.1A7 7 0 1 1 10 3Zm0 2a5 5 0 1 0 0 10 5 5 0 0 0 0-10Z",
  chart: "M4 20V10h3v10Zm6.5 0V4h3v16ZM17 20v-7h3v7Z",
  calendar: "M7 2h2v2h6V2h2v2h3a1 1 0 0 1 1 1v15a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1h3Zm-2 8v9h14v-9Zm2 2h3v3H7Z",
  shield: "M12 2 4 5v6c0 5 3.4 9.4 8 11 4.6-1.6 8-6 8-11V5Zm-1 14-4-4 1.4-1.4 2.6 2.6 5.6-5.6L18 9Z",
  more: "M5 10a2 2 0 1 1 0 4 2 2 0 0 1 0-4Zm7 0a2 2 0 1 1 0 4 2 2 0 0 1 0-4Zm7 0a2 2 0 1 1 0 4 2 2 0 0 1 0-4Z",
  clip: "M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10Z",
};

export function Icon({ name, size = 26 }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d={ICONS[name]} fill="currentColor" />
    </svg>
  );
}
