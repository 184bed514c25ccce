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
};

export function Icon({ name, size = 26 }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d={ICONS[name]} fill="currentColor" />
    </svg>
  );
}
