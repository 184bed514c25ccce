import { useEffect, useState } from "preact/hooks";
import { load, request } from "../api.js";
import { E } from "../endpoints.js";
import { fmtDateTime, problemText, t } from "../i18n.js";
import { ErrorBox, navigate, Spinner, toast } from "../ui.jsx";
import "../strings/settings.js";

export function Notifications({ refreshCounts }) {
  const [items, setItems] = useState(/** @type {any[]|null} */ (null));
  const [cursor, setCursor] = useState(/** @type {string|null} */ (null));
  const [error, setError] = useState("");
  const [tick, setTick] = useState(0);

  const fetchPage = (next) =>
    load(E.notifications, [], { limit: 30, cursor: next || undefined })
      .then((r) => {
        setItems((old) => (next ? [...(old || []), ...r.data.items] : r.data.items));
        setCursor(r.data.next_cursor);
      })
      .catch((err) => setError(problemText(err)));

  useEffect(() => {
    setError("");
    fetchPage(null);
  }, [tick]);

  const open = async (n) => {
    if (!n.read_at) {
      try {
        await request(E.notificationRead, [n.id]);
        setItems((xs) => xs.map((x) => (x.id === n.id ? { ...x, read_at: new Date().toISOString() } : x)));
        refreshCounts();
      } catch {
        /* stays unread */
      }
    }
    if (n.document_id) navigate(`/documents/${n.document_id}`);
  };
  const readAll = async () => {
    try {
      await request(E.notificationsReadAll, [], { body: {} });
      setTick(tick + 1);
      refreshCounts();
    } catch (err) {
      toast(problemText(err), "error");
    }
  };

  return (
    <section class="screen">
      <div class="screen-head">
        <h1>{t("notifications")}</h1>
        {items?.some((n) => !n.read_at) && (
          <button type="button" class="button" onClick={readAll}>
            {t("markAllRead")}
          </button>
        )}
      </div>
      {error && <ErrorBox text={error} onRetry={() => setTick(tick + 1)} />}
      {items === null && !error && <Spinner />}
      {items?.length === 0 && <p class="empty">{t("noNotifications")}</p>}
      <ul class="doc-list">
        {items?.map((n) => (
          <li key={n.id} class={`doc-row${n.read_at ? "" : " unread"}${n.urgent ? " doc-row-urgent" : ""}`}>
            <button type="button" class="doc-link" onClick={() => open(n)}>
              <span class="doc-marks">
                {!n.read_at && <span class="mark mark-pending">{t("unread")}</span>}
                {n.urgent && <span class="mark mark-urgent">!</span>}
              </span>
              <span class="doc-subject">{n.title}</span>
              {n.body && <span class="doc-meta">{n.body}</span>}
              <span class="doc-meta">{fmtDateTime(n.created_at)}</span>
            </button>
          </li>
        ))}
      </ul>
      {cursor && (
        <button type="button" class="button button-block" onClick={() => fetchPage(cursor)}>
          {t("loadMore")}
        </button>
      )}
    </section>
  );
}
