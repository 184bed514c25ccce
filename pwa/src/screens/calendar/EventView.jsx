// One event of the work calendar: time, place, chair, attendees, the documents to bring
// (those the reader may open), notes; the office edits or cancels it.
import { useEffect, useState } from "preact/hooks";
import { load, request } from "../../api.js";
import { E } from "../../endpoints.js";
import { fmtDate, fmtDateTime, problemText, t } from "../../i18n.js";
import { may } from "../../roles.js";
import { ErrorBox, Link, navigate, Sheet, Spinner, toast } from "../../ui.jsx";
import { dayOfTime, hhmm, weekday } from "./week.js";
import "../../strings/calendar.js";
import "./calendar.css";

/** "Thứ Hai, 30/11/2026, 08:00 – 10:00" (or across days). */
export function whenText(e) {
  const start = dayOfTime(e.starts_at);
  const end = dayOfTime(e.ends_at);
  const first = `${t(`day_${weekday(start)}`)}, ${fmtDate(start)}, ${hhmm(e.starts_at)}`;
  return start === end ? `${first} – ${hhmm(e.ends_at)}` : `${first} – ${hhmm(e.ends_at)} ${fmtDate(end)}`;
}

export function EventView({ id, roles, refreshCounts }) {
  const [event, setEvent] = useState(/** @type {any} */ (null));
  const [error, setError] = useState("");
  const [tick, setTick] = useState(0);
  const [cancelling, setCancelling] = useState(false);

  useEffect(() => {
    let live = true;
    setError("");
    load(E.event, [id])
      .then((r) => live && setEvent(r.data))
      .catch((err) => live && setError(problemText(err)));
    return () => (live = false);
  }, [id, tick]);

  if (error && !event) return <ErrorBox text={error} onRetry={() => setTick(tick + 1)} />;
  if (!event) return <Spinner />;
  const keeper = may.keepCalendar(roles) && event.status !== "cancelled";

  const cancel = async (reason) => {
    try {
      await request(E.eventCancel, [id], { body: { reason }, ifMatch: event.etag });
      toast(t("eventCancelledDone"), "success");
      setCancelling(false);
      setTick(tick + 1);
      refreshCounts?.();
    } catch (err) {
      if (err.status === 412) {
        toast(t("conflictTitle"), "error");
        setCancelling(false);
        setTick(tick + 1);
      } else throw err;
    }
  };

  return (
    <article class={`event-detail${keeper ? " with-action-bar" : ""}`}>
      <header class="doc-head">
        <div class="doc-marks">{event.status === "cancelled" && <span class="mark mark-overdue">{t("eventCancelled")}</span>}</div>
        <h1 class="doc-title">{event.title}</h1>
      </header>
      {event.status === "cancelled" && (
        <p class="notice notice-conflict">{t("cancelledBecause", { time: fmtDateTime(event.cancelled_at), reason: event.cancel_reason || "—" })}</p>
      )}
      <dl class="meta">
        <dt>{t("eventWhen")}</dt>
        <dd>{whenText(event)}</dd>
        <dt>{t("eventPlace")}</dt>
        <dd>{event.place || "—"}</dd>
        <dt>{t("eventChair")}</dt>
        <dd>{event.chair?.full_name || "—"}</dd>
        <dt>{t("eventParticipants")}</dt>
        <dd>
          {event.participants?.length ? (
            <ul>
              {event.participants.map((p) => (
                <li key={p.id}>{p.full_name}</li>
              ))}
            </ul>
          ) : (
            "—"
          )}
        </dd>
        <dt>{t("eventDocuments")}</dt>
        <dd>
          {event.documents?.length ? (
            <ul>
              {event.documents.map((d) => (
                <li key={d.id}>
                  <Link href={`/documents/${d.id}`}>{[d.number_symbol, d.subject].filter(Boolean).join(" — ")}</Link>
                </li>
              ))}
            </ul>
          ) : (
            "—"
          )}
        </dd>
        {event.notes && (
          <>
            <dt>{t("eventNotes")}</dt>
            <dd class="pre">{event.notes}</dd>
          </>
        )}
      </dl>
      <p class="muted small">
        {event.created_by && t("createdBy", { name: event.created_by.full_name })} · {t("updatedAt", { time: fmtDateTime(event.updated_at) })}
      </p>
      {keeper && (
        <div class="action-bar" role="toolbar" aria-label={event.title}>
          <button type="button" class="button button-primary" onClick={() => navigate(`/calendar/events/${id}/edit`)}>
            {t("editEvent")}
          </button>
          <button type="button" class="button button-danger" onClick={() => setCancelling(true)}>
            {t("cancelEvent")}
          </button>
        </div>
      )}
      {cancelling && <CancelSheet onClose={() => setCancelling(false)} onSubmit={cancel} />}
    </article>
  );
}

function CancelSheet({ onClose, onSubmit }) {
  const [reason, setReason] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      await onSubmit(reason.trim());
    } catch (err) {
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Sheet title={t("cancelEvent")} onClose={onClose} labelledBy="cancel-event-title">
      <form class="form" onSubmit={submit}>
        <p class="notice">{t("cancelConfirm")}</p>
        <label for="cancel-reason">{t("cancelReason")}</label>
        <textarea id="cancel-reason" rows={3} maxLength={2000} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="button button-danger button-block" disabled={busy}>
          {t("cancelEvent")}
        </button>
      </form>
    </Sheet>
  );
}
