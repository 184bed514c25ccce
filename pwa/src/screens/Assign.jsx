// Giao xử lý (phiếu giải quyết): the leader's instruction, one lead unit, cooperating
// units and units kept informed, a deadline for each unit that must act.
// POST /api/documents/{id}/assignments with If-Match; online only (the heads are
// notified at once, and a unit may have no head: the server says so, 409).
import { useEffect, useState } from "preact/hooks";
import { load, request } from "../api.js";
import { E } from "../endpoints.js";
import { fmtDate, fmtDateTime, problemText, t } from "../i18n.js";
import "../strings/doc.js";
import { Sheet } from "../ui.jsx";

/** Document states a document can be assigned in (backend/assignments ASSIGNABLE). */
export const ASSIGNABLE = new Set(["registered", "issued", "approved"]);

/** A leader of the agency, or the head of the document's unit. */
export function mayAssign(me, doc) {
  return (me?.memberships || []).some(
    (m) =>
      m.organisation_id === doc.organisation_id &&
      (m.role === "leader" || (m.role === "head" && m.unit_id != null && m.unit_id === doc.unit_id)),
  );
}

/** A Vietnam calendar date, `days` from today, as yyyy-mm-dd. */
export function vnDate(days = 0) {
  const when = new Date(Date.now() + days * 86_400_000);
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Ho_Chi_Minh" }).format(when);
}

export function AssignSheet({ doc, orgId, onClose, onDone }) {
  const [units, setUnits] = useState(/** @type {any[]|null} */ (null));
  const [text, setText] = useState("");
  const [lead, setLead] = useState("");
  /** @type {[Record<string, "cooperate"|"fyi">, any]} */
  const [roles, setRoles] = useState({});
  /** @type {[Record<string, string>, any]} */
  const [deadlines, setDeadlines] = useState({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const today = vnDate(0);
  const fallback = doc.due_date && doc.due_date >= today ? doc.due_date : vnDate(7);

  useEffect(() => {
    load(E.units, [orgId])
      .then((r) => setUnits(r.data || []))
      .catch((e) => (setUnits([]), setError(problemText(e))));
  }, []);

  const deadlineOf = (id) => deadlines[id] ?? fallback;
  const setDeadline = (id, value) => setDeadlines((d) => ({ ...d, [id]: value }));
  const toggle = (id, role) =>
    setRoles((r) => {
      const next = { ...r };
      if (next[id] === role) delete next[id];
      else next[id] = role;
      return next;
    });
  const chooseLead = (id) => {
    setLead(id);
    setRoles((r) => {
      const next = { ...r };
      delete next[id]; // the lead unit is neither cooperating nor informed
      return next;
    });
  };

  const others = (units || []).filter((u) => String(u.id) !== lead);
  const cooperating = others.filter((u) => roles[u.id] === "cooperate");
  const fyi = others.filter((u) => roles[u.id] === "fyi");
  const count = (lead ? 1 : 0) + cooperating.length + fyi.length;

  const go = async (e) => {
    e.preventDefault();
    if (!text.trim()) return setError(t("textRequired"));
    if (!lead) return setError(t("leadRequired"));
    const acting = [lead, ...cooperating.map((u) => String(u.id))];
    if (acting.some((id) => !deadlineOf(id) || deadlineOf(id) < today)) return setError(t("deadlineRequired"));
    setBusy(true);
    setError("");
    try {
      const result = await request(E.assign, [doc.id], {
        ifMatch: doc.etag,
        body: {
          text: text.trim(),
          lead: { unit_id: Number(lead), deadline: deadlineOf(lead) },
          cooperating: cooperating.map((u) => ({ unit_id: u.id, deadline: deadlineOf(String(u.id)) })),
          fyi: fyi.map((u) => ({ unit_id: u.id })),
        },
      });
      onDone(result);
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
    }
  };

  const name = (id) => units?.find((u) => String(u.id) === String(id))?.name || "";
  const dateInput = (id) => (
    <div class="assign-deadline">
      <label for={`assign-deadline-${id}`}>{t("deadlineOf", { unit: name(id) })}</label>
      <input
        id={`assign-deadline-${id}`}
        type="date"
        min={today}
        required
        value={deadlineOf(String(id))}
        onInput={(e) => setDeadline(String(id), e.currentTarget.value)}
      />
    </div>
  );

  return (
    <Sheet title={t("assignTitle")} onClose={onClose} labelledBy="assign-title">
      <form class="form assign" onSubmit={go} novalidate>
        <label for="assign-text">{t("assignText")}</label>
        <textarea id="assign-text" rows={3} maxLength={4000} value={text} onInput={(e) => setText(e.currentTarget.value)} />

        <label for="assign-lead">{t("leadUnit")}</label>
        <select id="assign-lead" value={lead} onChange={(e) => chooseLead(e.currentTarget.value)} required>
          <option value="">{t("chooseUnit")}</option>
          {(units || []).map((u) => (
            <option key={u.id} value={u.id}>
              {u.name}
            </option>
          ))}
        </select>
        {lead && dateInput(lead)}

        {others.length > 0 && (
          <fieldset>
            <legend>{t("cooperatingUnits")}</legend>
            {others.map((u) => (
              <div key={u.id}>
                <label class="check">
                  <input
                    type="checkbox"
                    checked={roles[u.id] === "cooperate"}
                    disabled={roles[u.id] === "fyi"}
                    onChange={() => toggle(u.id, "cooperate")}
                  />
                  <span>{u.name}</span>
                </label>
                {roles[u.id] === "cooperate" && dateInput(u.id)}
              </div>
            ))}
          </fieldset>
        )}
        {others.length > 0 && (
          <fieldset>
            <legend>{t("fyiUnits")}</legend>
            {others.map((u) => (
              <label class="check" key={u.id}>
                <input
                  type="checkbox"
                  checked={roles[u.id] === "fyi"}
                  disabled={roles[u.id] === "cooperate"}
                  onChange={() => toggle(u.id, "fyi")}
                />
                <span>{u.name}</span>
              </label>
            ))}
          </fieldset>
        )}

        {count > 0 && <p class="help">{t("assignConfirm", { n: count })}</p>}
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="button button-primary button-block" disabled={busy || units === null}>
          {t("actAssign")}
        </button>
      </form>
    </Sheet>
  );
}

/** What was assigned, to whom, by when, how far along. */
export function Processing({ data }) {
  const roots = data?.assignments || [];
  if (!roots.length) return null;
  const p = data.processing;
  return (
    <section aria-labelledby="proc-title">
      <h2 id="proc-title">{t("processing")}</h2>
      {p?.assigned_by && (
        <p class="muted small">{t("processingBy", { name: p.assigned_by.full_name, time: fmtDateTime(p.assigned_at) })}</p>
      )}
      <ul class="plain-list assignments">
        {roots.map((a) => (
          <li key={a.id} class={a.overdue ? "text-urgent" : ""}>
            <strong>{t(`role_${a.role}`)}:</strong> {a.unit?.name}
            {a.deadline && <> — {t("deadline").toLowerCase()} {fmtDate(a.deadline)}</>}
            {a.role !== "fyi" && (
              <span class="muted">
                {" "}
                · {t(`astate_${a.state}`)}
                {a.progress ? ` ${a.progress}%` : ""}
              </span>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
