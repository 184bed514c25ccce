// Add or change an event of the work calendar (the office). A change made meanwhile by
// someone else (412 on If-Match) is shown plainly: their version beside "take theirs" or
// "save mine anyway" — nothing is overwritten silently.
import { useEffect, useState } from "preact/hooks";
import { load, request } from "../../api.js";
import { E } from "../../endpoints.js";
import { fmtDateTime, problemText, t } from "../../i18n.js";
import { orgOf } from "../../roles.js";
import { ErrorBox, navigate, Spinner, toast } from "../../ui.jsx";
import { whenText } from "./EventView.jsx";
import { dayOfTime, hhmm, todayVN } from "./week.js";
import "../../strings/calendar.js";
import "./calendar.css";

const EMPTY = { title: "", date: "", start: "08:00", end: "10:00", endDate: "", place: "", chair: "", people: [], docs: [], notes: "" };

/** The form's values from an event of the API. */
function fromEvent(e) {
  const endDate = dayOfTime(e.ends_at);
  return {
    title: e.title,
    date: dayOfTime(e.starts_at),
    start: hhmm(e.starts_at),
    end: hhmm(e.ends_at),
    endDate: endDate !== dayOfTime(e.starts_at) ? endDate : "",
    place: e.place || "",
    chair: e.chair ? String(e.chair.id) : "",
    people: (e.participants || []).map((p) => p.id),
    docs: (e.documents || []).map((d) => ({ id: d.id, label: [d.number_symbol, d.subject].filter(Boolean).join(" — ") })),
    notes: e.notes || "",
  };
}

export function EventForm({ id, auth, search }) {
  const editing = Boolean(id);
  const [v, setV] = useState(() => ({ ...EMPTY, date: new URLSearchParams(search).get("date") || todayVN() }));
  const [event, setEvent] = useState(/** @type {any} */ (null));
  const [people, setPeople] = useState(/** @type {any[]} */ ([]));
  const [errors, setErrors] = useState(/** @type {Record<string,string>} */ ({}));
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [conflict, setConflict] = useState(/** @type {any} */ (null));
  const [filter, setFilter] = useState("");
  const orgId = orgOf(auth.user);

  useEffect(() => {
    if (orgId) load(E.users, [orgId]).then((r) => setPeople(r.data.filter((p) => p.active !== false)), () => {});
    if (editing)
      load(E.event, [id])
        .then((r) => (setEvent(r.data), setV(fromEvent(r.data))))
        .catch((err) => setError(problemText(err)));
  }, [id]);

  const set = (k) => (e) => setV({ ...v, [k]: e.currentTarget.value });
  const body = () => ({
    title: v.title.trim(),
    starts_at: `${v.date}T${v.start}:00+07:00`,
    ends_at: `${v.endDate || v.date}T${v.end}:00+07:00`,
    place: v.place.trim(),
    chair_id: v.chair ? Number(v.chair) : null,
    participant_ids: v.people,
    document_ids: v.docs.map((d) => d.id),
    notes: v.notes,
  });

  const save = async (etag) => {
    const b = body();
    const problems = {};
    if (!b.title) problems.title = t("errTitleRequired");
    if (b.ends_at <= b.starts_at) problems.end = t("errEndBeforeStart");
    setErrors(problems);
    if (Object.keys(problems).length) return;
    setBusy(true);
    setError("");
    try {
      const saved = editing
        ? await request(E.eventUpdate, [id], { body: b, ifMatch: etag })
        : await request(E.eventCreate, [], { body: { ...b, organisation_id: orgId } });
      toast(t("eventSaved"), "success");
      navigate(`/calendar/events/${saved.id}`, { replace: true });
    } catch (err) {
      if (err.status === 412 && editing) {
        const now = await request(E.event, [id]);
        setConflict(now);
      } else {
        const fields = err.errors || {};
        setErrors({
          title: fields.title?.[0],
          end: (fields.ends_at || fields.starts_at)?.[0],
          people: (fields.participant_ids || fields.chair_id)?.[0],
          docs: fields.document_ids?.[0],
        });
        setError(problemText(err));
      }
    } finally {
      setBusy(false);
    }
  };

  if (editing && !event) return error ? <ErrorBox text={error} /> : <Spinner />;
  const sorted = [...people].sort((a, b) => rank(a) - rank(b) || a.full_name.localeCompare(b.full_name, "vi"));
  const shown = sorted.filter((p) => !filter || p.full_name.toLowerCase().includes(filter.toLowerCase()));
  const toggle = (pid) => setV({ ...v, people: v.people.includes(pid) ? v.people.filter((x) => x !== pid) : [...v.people, pid] });

  return (
    <section class="screen">
      <h1>{editing ? t("editEvent") : t("newEvent")}</h1>
      {conflict && (
        <div class="conflict-box" role="alert" tabIndex={-1} ref={(el) => el?.focus()}>
          <h2>{t("conflictTitle")}</h2>
          <p>
            {t("conflictText", {
              time: fmtDateTime(conflict.updated_at),
              title: conflict.title,
              when: whenText(conflict),
              place: conflict.place || "—",
            })}
          </p>
          <div class="row">
            <button
              type="button"
              class="button"
              onClick={() => {
                setEvent(conflict);
                setV(fromEvent(conflict));
                setConflict(null);
              }}
            >
              {t("conflictTake")}
            </button>
            <button
              type="button"
              class="button button-primary"
              onClick={() => {
                setEvent(conflict);
                setConflict(null);
                save(conflict.etag);
              }}
            >
              {t("conflictOverwrite")}
            </button>
          </div>
        </div>
      )}
      <form class="form" onSubmit={(e) => (e.preventDefault(), save(event?.etag))} noValidate>
        <label for="ev-title">{t("eventTitle")}</label>
        <textarea id="ev-title" rows={2} maxLength={500} value={v.title} onInput={set("title")} aria-invalid={Boolean(errors.title)} aria-describedby="ev-title-err" required />
        <p id="ev-title-err" class="form-error">{errors.title}</p>
        <label for="ev-date">{t("eventDate")}</label>
        <input id="ev-date" type="date" value={v.date} onInput={set("date")} required />
        <div class="form-row">
          <div>
            <label for="ev-start">{t("eventStart")}</label>
            <input id="ev-start" type="time" value={v.start} onInput={set("start")} required />
          </div>
          <div>
            <label for="ev-end">{t("eventEnd")}</label>
            <input id="ev-end" type="time" value={v.end} onInput={set("end")} aria-invalid={Boolean(errors.end)} aria-describedby="ev-end-err" required />
          </div>
        </div>
        <p id="ev-end-err" class="form-error">{errors.end}</p>
        <label for="ev-end-date">{t("eventEndDate")}</label>
        <input id="ev-end-date" type="date" value={v.endDate} min={v.date} onInput={set("endDate")} />
        <label for="ev-place">{t("eventPlace")}</label>
        <input id="ev-place" maxLength={255} value={v.place} onInput={set("place")} />
        <label for="ev-chair">{t("eventChair")}</label>
        <select id="ev-chair" value={v.chair} onChange={set("chair")}>
          <option value="">{t("noChair")}</option>
          {sorted.map((p) => (
            <option key={p.id} value={p.id}>
              {label(p)}
            </option>
          ))}
        </select>
        <fieldset>
          <legend>{t("eventParticipants")}</legend>
          <ul class="chips" aria-live="polite">
            {v.people.map((pid) => {
              const p = people.find((x) => x.id === pid);
              return (
                <li key={pid}>
                  <button type="button" class="chip-button" aria-label={t("removeItem", { name: p?.full_name || pid })} onClick={() => toggle(pid)}>
                    {p?.full_name || pid} ✕
                  </button>
                </li>
              );
            })}
          </ul>
          <label for="ev-people-filter">{t("pickPeople")}</label>
          <input id="ev-people-filter" type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
          <div class="people-list">
            {shown.map((p) => (
              <label key={p.id}>
                <input type="checkbox" checked={v.people.includes(p.id)} onChange={() => toggle(p.id)} />
                <span>{label(p)}</span>
              </label>
            ))}
          </div>
          <p class="form-error">{errors.people}</p>
        </fieldset>
        <DocumentPicker docs={v.docs} onChange={(docs) => setV({ ...v, docs })} error={errors.docs} />
        <label for="ev-notes">{t("eventNotes")}</label>
        <textarea id="ev-notes" rows={3} maxLength={4000} value={v.notes} onInput={set("notes")} />
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <div class="form-actions">
          <button type="submit" class="button button-primary" disabled={busy}>
            {t("save")}
          </button>
          <button type="button" class="button" onClick={() => history.back()}>
            {t("cancel")}
          </button>
        </div>
      </form>
    </section>
  );
}

const rank = (p) => (p.memberships?.some((m) => m.role === "leader") ? 0 : p.memberships?.some((m) => m.role === "head") ? 1 : 2);
const label = (p) => {
  const title = p.memberships?.find((m) => m.position_title)?.position_title;
  return title ? `${p.full_name} — ${title}` : p.full_name;
};

/** Attach documents found by the search (ones the editor can open). */
function DocumentPicker({ docs, onChange, error }) {
  const [q, setQ] = useState("");
  const [found, setFound] = useState(/** @type {any[]} */ ([]));
  useEffect(() => {
    const query = q.trim();
    if (!query) return setFound([]);
    let live = true;
    const timer = setTimeout(
      () =>
        request(E.search, [], { query: { q: query, limit: 6 } })
          .then((r) => live && setFound(r.items))
          .catch(() => live && setFound([])),
      300,
    );
    return () => ((live = false), clearTimeout(timer));
  }, [q]);
  return (
    <fieldset>
      <legend>{t("eventDocuments")}</legend>
      <ul class="chips">
        {docs.map((d) => (
          <li key={d.id}>
            <button type="button" class="chip-button" aria-label={t("removeItem", { name: d.label })} onClick={() => onChange(docs.filter((x) => x.id !== d.id))}>
              {d.label} ✕
            </button>
          </li>
        ))}
      </ul>
      <label for="ev-doc-search">{t("pickDocuments")}</label>
      <input id="ev-doc-search" type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} autocomplete="off" />
      {found.length > 0 && (
        <ul class="picker-list">
          {found
            .filter((h) => !docs.some((d) => d.id === h.id))
            .map((h) => {
              const text = [h.number_symbol, h.subject].filter(Boolean).join(" — ");
              return (
                <li key={h.id}>
                  <button type="button" class="picker-item" aria-label={t("addItem", { name: text })} onClick={() => (onChange([...docs, { id: h.id, label: text }]), setQ(""))}>
                    <span class="picker-name">{h.subject}</span>
                    <span class="muted small">{h.number_symbol || h.document_type?.name}</span>
                  </button>
                </li>
              );
            })}
        </ul>
      )}
      <p class="form-error">{error}</p>
    </fieldset>
  );
}
