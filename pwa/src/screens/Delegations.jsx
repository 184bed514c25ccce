// Ủy quyền: a leader (or head) lets a deputy handle and/or sign for a period — all
// documents or some types / units — and sees and revokes what is in force; a deputy sees
// whom they act for.
import { useEffect, useState } from "preact/hooks";
import { load, request } from "../api.js";
import { E } from "../endpoints.js";
import { fmtDateTime, problemText, t } from "../i18n.js";
import { may, orgOf } from "../roles.js";
import { ErrorBox, Spinner, toast } from "../ui.jsx";
import "../strings/personal.js";

/** "2026-12-03T08:00" in Vietnam time, `days` from now (at `hour` when given). */
function vnLocal(days = 0, hour) {
  const d = new Date(Date.now() + days * 86_400_000 + 7 * 3_600_000);
  const s = d.toISOString().slice(0, 16);
  return hour === undefined ? s : `${s.slice(0, 11)}${String(hour).padStart(2, "0")}:00`;
}

function stateOf(d) {
  if (d.revoked_at) return "dlgRevoked";
  if (d.active) return "dlgActive";
  return new Date(d.starts_at) > new Date() ? "dlgScheduled" : "dlgEnded";
}

export function Delegations({ auth, roles }) {
  const [items, setItems] = useState(/** @type {any[]|null} */ (null));
  const [error, setError] = useState("");
  const [tick, setTick] = useState(0);
  const [types, setTypes] = useState(/** @type {any[]} */ ([]));
  const [units, setUnits] = useState(/** @type {any[]} */ ([]));
  const [people, setPeople] = useState(/** @type {any[]} */ ([]));
  const [confirming, setConfirming] = useState(/** @type {number|null} */ (null));
  const orgId = orgOf(auth.user);
  const me = auth.user?.id;

  useEffect(() => {
    load(E.documentTypes).then((r) => setTypes(r.data.filter((x) => !x.is_copy)), () => {});
    if (orgId) {
      load(E.units, [orgId]).then((r) => setUnits(r.data), () => {});
      load(E.users, [orgId]).then((r) => setPeople(r.data), () => {});
    }
  }, []);
  useEffect(() => {
    setError("");
    load(E.delegations)
      .then((r) => setItems(r.data))
      .catch((err) => setError(problemText(err)));
  }, [tick]);

  const revoke = async (d) => {
    try {
      await request(E.delegationRevoke, [d.id]);
      toast(t("delegationRevoked"), "success");
      setConfirming(null);
      setTick(tick + 1);
    } catch (err) {
      toast(problemText(err), "error");
    }
  };
  const typeName = (id) => types.find((x) => x.id === id)?.name || `#${id}`;
  const unitName = (id) => units.find((x) => x.id === id)?.name || `#${id}`;
  const given = (items || []).filter((d) => d.delegator.id === me);
  const received = (items || []).filter((d) => d.deputy.id === me);

  const row = (d, mine) => {
    const state = stateOf(d);
    const what = [d.can_approve && t("dlgWhat_approve"), d.can_sign && t("dlgWhat_sign")].filter(Boolean).join(", ");
    return (
      <li key={d.id} class="delegation">
        <p>
          <span class={`mark ${state === "dlgActive" ? "mark-ok" : "mark-status"}`}>{t(state)}</span>{" "}
          <strong>{mine ? t("dlgTo", { name: d.deputy.full_name }) : t("dlgFrom", { name: d.delegator.full_name })}</strong> — {what}
        </p>
        <p class="muted small">{t("dlgPeriod", { from: fmtDateTime(d.starts_at), to: fmtDateTime(d.ends_at) })}</p>
        {d.document_type_ids && <p class="small">{t("dlgScopeTypes", { list: d.document_type_ids.map(typeName).join(", ") })}</p>}
        {d.unit_ids && <p class="small">{t("dlgScopeUnits", { list: d.unit_ids.map(unitName).join(", ") })}</p>}
        {d.note && <p class="small">{d.note}</p>}
        {mine &&
          !d.revoked_at &&
          state !== "dlgEnded" &&
          (confirming === d.id ? (
            <div class="confirm" role="alert">
              <p>{t("revokeDelegationConfirm", { name: d.deputy.full_name })}</p>
              <div class="row">
                <button type="button" class="button button-danger" onClick={() => revoke(d)}>
                  {t("revokeDelegation")}
                </button>
                <button type="button" class="button" onClick={() => setConfirming(null)}>
                  {t("cancel")}
                </button>
              </div>
            </div>
          ) : (
            <button type="button" class="button" aria-label={`${t("revokeDelegation")}: ${d.deputy.full_name}`} onClick={() => setConfirming(d.id)}>
              {t("revokeDelegation")}
            </button>
          ))}
      </li>
    );
  };

  return (
    <section class="screen delegations">
      <h1>{t("delegationsTitle")}</h1>
      <p class="muted">{t("delegationsLead")}</p>
      {error && <ErrorBox text={error} onRetry={() => setTick(tick + 1)} />}
      {items === null && !error && <Spinner />}
      {received.length > 0 && (
        <>
          <h2>{t("givenToMe")}</h2>
          <ul class="plain-list">{received.map((d) => row(d, false))}</ul>
        </>
      )}
      {may.delegate(roles) && (
        <>
          <h2>{t("givenByMe")}</h2>
          {items && given.length === 0 && <p class="muted">{t("noDelegations")}</p>}
          <ul class="plain-list">{given.map((d) => row(d, true))}</ul>
          <NewDelegation
            orgId={orgId}
            people={people.filter((p) => p.id !== me && p.active !== false)}
            types={types}
            units={units}
            onDone={() => setTick(tick + 1)}
          />
        </>
      )}
      {items && !may.delegate(roles) && received.length === 0 && <p class="muted">{t("noDelegations")}</p>}
    </section>
  );
}

function NewDelegation({ orgId, people, types, units, onDone }) {
  const [deputy, setDeputy] = useState("");
  const [approve, setApprove] = useState(true);
  const [sign, setSign] = useState(false);
  const [from, setFrom] = useState(() => vnLocal(0));
  const [to, setTo] = useState(() => vnLocal(7, 17));
  const [some, setSome] = useState(false);
  const [typeIds, setTypeIds] = useState(/** @type {number[]} */ ([]));
  const [unitIds, setUnitIds] = useState(/** @type {number[]} */ ([]));
  const [note, setNote] = useState("");
  const [errors, setErrors] = useState(/** @type {Record<string,string>} */ ({}));
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const rank = (p) => (p.memberships?.some((m) => m.role === "leader") ? 0 : p.memberships?.some((m) => m.role === "head") ? 1 : 2);
  const sorted = [...people].sort((a, b) => rank(a) - rank(b) || a.full_name.localeCompare(b.full_name, "vi"));
  const flip = (list, set, id) => set(list.includes(id) ? list.filter((x) => x !== id) : [...list, id]);

  const submit = async (e) => {
    e.preventDefault();
    const problems = {};
    if (!deputy) problems.deputy = t("errDeputy");
    if (!approve && !sign) problems.what = t("errWhat");
    if (!to || to <= from) problems.period = t("errPeriod");
    setErrors(problems);
    if (Object.keys(problems).length) return;
    setBusy(true);
    setError("");
    try {
      const d = await request(E.delegationCreate, [], {
        body: {
          organisation_id: orgId,
          deputy_id: Number(deputy),
          can_approve: approve,
          can_sign: sign,
          starts_at: `${from}:00+07:00`,
          ends_at: `${to}:00+07:00`,
          document_type_ids: some && typeIds.length ? typeIds : null,
          unit_ids: some && unitIds.length ? unitIds : null,
          note: note.trim(),
        },
      });
      toast(t("delegated", { name: d.deputy.full_name }), "success");
      setDeputy("");
      setNote("");
      onDone();
    } catch (err) {
      const f = err.errors || {};
      setErrors({ deputy: f.deputy_id?.[0], what: f.can_approve?.[0], period: (f.ends_at || f.starts_at)?.[0] && t("errPeriod") });
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="form card-form" onSubmit={submit} noValidate aria-labelledby="new-dlg">
      <h2 id="new-dlg">{t("newDelegation")}</h2>
      <label for="dlg-deputy">{t("deputy")}</label>
      <select id="dlg-deputy" value={deputy} onChange={(e) => setDeputy(e.currentTarget.value)} aria-describedby="dlg-deputy-err" aria-invalid={Boolean(errors.deputy)}>
        <option value="">{t("chooseDeputy")}</option>
        {sorted.map((p) => (
          <option key={p.id} value={p.id}>
            {p.full_name}
            {p.memberships?.find((m) => m.position_title) ? ` — ${p.memberships.find((m) => m.position_title).position_title}` : ""}
          </option>
        ))}
      </select>
      <p id="dlg-deputy-err" class="form-error">{errors.deputy}</p>
      <fieldset aria-describedby="dlg-what-err">
        <legend>{t("delegateWhat")}</legend>
        <label class="check">
          <input type="checkbox" checked={approve} onChange={() => setApprove(!approve)} /> {t("canApprove")}
        </label>
        <label class="check">
          <input type="checkbox" checked={sign} onChange={() => setSign(!sign)} /> {t("canSign")}
        </label>
        <p id="dlg-what-err" class="form-error">{errors.what}</p>
      </fieldset>
      <label for="dlg-from">{t("periodFrom")}</label>
      <input id="dlg-from" type="datetime-local" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
      <label for="dlg-to">{t("periodTo")}</label>
      <input id="dlg-to" type="datetime-local" value={to} min={from} onInput={(e) => setTo(e.currentTarget.value)} aria-describedby="dlg-period-err" />
      <p id="dlg-period-err" class="form-error">{errors.period}</p>
      <fieldset>
        <legend>{t("scope")}</legend>
        <label class="check">
          <input type="radio" name="dlg-scope" checked={!some} onChange={() => setSome(false)} /> {t("scopeAll")}
        </label>
        <label class="check">
          <input type="radio" name="dlg-scope" checked={some} onChange={() => setSome(true)} /> {t("scopeSome")}
        </label>
      </fieldset>
      {some && (
        <div class="scope-lists">
          <fieldset>
            <legend>{t("scopeTypes")}</legend>
            <div class="people-list">
              {types.map((x) => (
                <label key={x.id} class="check">
                  <input type="checkbox" checked={typeIds.includes(x.id)} onChange={() => flip(typeIds, setTypeIds, x.id)} /> {x.name}
                </label>
              ))}
            </div>
          </fieldset>
          <fieldset>
            <legend>{t("scopeUnits")}</legend>
            {units.map((u) => (
              <label key={u.id} class="check">
                <input type="checkbox" checked={unitIds.includes(u.id)} onChange={() => flip(unitIds, setUnitIds, u.id)} /> {u.name}
              </label>
            ))}
          </fieldset>
        </div>
      )}
      <label for="dlg-note">{t("note")}</label>
      <textarea id="dlg-note" rows={2} maxLength={2000} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="button button-primary" disabled={busy}>
        {t("delegate")}
      </button>
    </form>
  );
}
