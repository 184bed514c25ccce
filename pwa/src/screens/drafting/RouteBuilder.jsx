// Quy trình trình ký: start from a template or the last route used, add, remove and
// reorder steps (review, consult, sign, issue), pick people or units with a search, all /
// any, the signing prefix; the server's route rules come back as plain sentences next to
// the step they concern (PUT /api/documents/{id}/route answers 422 with field errors).
import { useEffect, useRef, useState } from "preact/hooks";
import { load, request } from "../../api.js";
import { kvGet, kvSet } from "../../db.js";
import { E } from "../../endpoints.js";
import { problemText, t } from "../../i18n.js";
import { ErrorBox, Icon, navigate, Sheet, Spinner, toast } from "../../ui.jsx";
import "../../strings/draft.js";

const KINDS = ["review", "consult", "sign", "issue"];
const PREFIXES = ["KT.", "TM.", "TL.", "Q."];
// the server's field messages (backend/workflow/service.py _validate_steps) → a sentence
const RULES = {
  "Wrong number of steps.": "rule_count",
  "Issue step misplaced.": "rule_issue_last",
  "Sign step missing.": "rule_sign_first",
  "Nothing would wait for it.": "rule_blocking",
  "Not a sign step.": "rule_prefix",
  "Wrong count.": "rule_actor_count",
  "Give one of them.": "rule_actor_one",
  "Not a unit of yours.": "rule_unit",
  "Not a member.": "rule_member",
  "Not a clerk.": "rule_clerk",
  "Not a leader.": "rule_leader",
};

let nextKey = 1;
const newStep = (kind = "review") => ({ key: nextKey++, kind, mode: "all", blocking: false, signing_prefix: "", actors: [] });

/** Steps as the API has them (route or template) → steps of the editor. */
function fromApi(steps, names) {
  return (steps || []).map((s) => ({
    key: nextKey++,
    kind: s.kind,
    mode: s.mode || "all",
    blocking: s.kind === "consult" ? Boolean(s.blocking) : false,
    signing_prefix: s.signing_prefix || "",
    actors: (s.actors || []).map((a) => ({
      user_id: a.user_id || null,
      unit_id: a.unit_id || null,
      name: a.user_name || names(a),
    })),
  }));
}

function toApi(steps) {
  return steps.map((s) => ({
    kind: s.kind,
    mode: s.mode,
    ...(s.kind === "consult" ? { blocking: s.blocking } : {}),
    ...(s.kind === "sign" && s.signing_prefix ? { signing_prefix: s.signing_prefix } : {}),
    actors: s.actors.map((a) => (a.user_id ? { user_id: a.user_id } : { unit_id: a.unit_id })),
  }));
}

/** The 422 answer's field errors, as sentences per step (and for the whole route). */
export function stepErrors(err, steps) {
  const out = { route: /** @type {string[]} */ ([]), steps: /** @type {Record<number, string[]>} */ ({}) };
  const add = (i, text) => (out.steps[i] = [...(out.steps[i] || []), text]);
  for (const [field, messages] of Object.entries(err.errors || {})) {
    const list = Array.isArray(messages) ? messages : [String(messages)];
    for (const message of list) {
      const text = t(RULES[message] || "rule_other");
      const m = field.match(/^steps\.(\d+)/);
      if (m) add(Number(m[1]), text);
      else if (message === "Issue step misplaced." || message === "Sign step missing.") {
        const issues = steps.map((s, i) => (s.kind === "issue" ? i : -1)).filter((i) => i >= 0);
        if (issues.length) issues.forEach((i) => add(i, text));
        else out.route.push(text);
      } else out.route.push(text);
    }
  }
  if (!out.route.length && !Object.keys(out.steps).length) out.route.push(problemText(err));
  return out;
}

export function RouteBuilder({ id, auth, afterDecision }) {
  const orgId = auth.user?.memberships?.[0]?.organisation_id;
  const [doc, setDoc] = useState(/** @type {any} */ (null));
  const [people, setPeople] = useState(/** @type {any[]} */ ([]));
  const [units, setUnits] = useState(/** @type {any[]} */ ([]));
  const [templates, setTemplates] = useState(/** @type {any[]} */ ([]));
  const [steps, setSteps] = useState(/** @type {any[]|null} */ (null));
  const [errors, setErrors] = useState({ route: /** @type {string[]} */ ([]), steps: {} });
  const [picking, setPicking] = useState(/** @type {number|null} */ (null));
  const [template, setTemplate] = useState("");
  const [busy, setBusy] = useState(false);
  const [loadError, setLoadError] = useState("");
  const [notice, setNotice] = useState("");
  const errorRef = useRef(/** @type {HTMLElement|null} */ (null));

  useEffect(() => {
    let live = true;
    Promise.all([
      load(E.document, [id]),
      load(E.route, [id]),
      load(E.users, [orgId]),
      load(E.units, [orgId]),
    ])
      .then(([d, r, u, un]) => {
        if (!live) return;
        const unitList = un.data || [];
        const peopleList = (u.data || []).filter((p) => p.active !== false);
        setDoc(d.data);
        setPeople(peopleList);
        setUnits(unitList);
        const names = (a) => nameOf(a, peopleList, unitList);
        const existing = fromApi(r.data.steps, names);
        setSteps(existing.length ? existing : [newStep("review")]);
        load(E.routeTemplates, [], { document_type_id: d.data.document_type?.id, unit_id: d.data.unit_id })
          .then((tr) => live && setTemplates(tr.data || []))
          .catch(() => {});
      })
      .catch((err) => live && setLoadError(problemText(err)));
    return () => (live = false);
  }, [id]);

  if (loadError) return <ErrorBox text={loadError} />;
  if (!steps || !doc) return <Spinner />;

  const names = (a) => nameOf(a, people, units);
  const change = (i, patch) => setSteps(steps.map((s, j) => (j === i ? { ...s, ...patch } : s)));
  const move = (i, by) => {
    const next = [...steps];
    const [s] = next.splice(i, 1);
    next.splice(i + by, 0, s);
    setSteps(next);
  };
  const clearErrors = () => setErrors({ route: [], steps: {} });

  const useTemplate = () => {
    const chosen = templates.find((x) => String(x.id) === template);
    if (!chosen) return;
    setSteps(fromApi(chosen.steps, names));
    clearErrors();
    setNotice(t("routeLoaded"));
  };
  const useLast = async () => {
    let last = await kvGet("lastRoute");
    if (!last) {
      try {
        const mine = await load(E.documents, [], { mine: true, direction: "outgoing", limit: 10 });
        const other = (mine.data.items || []).find((d) => d.id !== id && d.status !== "draft");
        if (other) last = (await load(E.route, [other.id])).data.steps;
      } catch {
        /* none */
      }
    }
    if (!last?.length) return setNotice(t("lastRouteNone"));
    setSteps(fromApi(last, names));
    clearErrors();
    setNotice(t("routeLoaded"));
  };

  const save = async (andSubmit) => {
    clearErrors();
    if (!steps.length) return setErrors({ route: [t("routeEmpty")], steps: {} });
    setBusy(true);
    try {
      const body = toApi(steps);
      const saved = await request(E.setRoute, [id], { body: { steps: body }, ifMatch: doc.etag });
      await kvSet("lastRoute", body);
      setDoc({ ...doc, etag: saved.etag });
      if (andSubmit) {
        await request(E.submit, [id], { body: {}, ifMatch: saved.etag });
        toast(t("doneSubmit"), "success");
        afterDecision?.();
      } else toast(t("routeSaved"), "success");
      navigate(`/documents/${id}`, { replace: true });
    } catch (err) {
      setBusy(false);
      if (err.status === 422) {
        setErrors(stepErrors(err, steps));
        setTimeout(() => errorRef.current?.focus(), 0);
      } else setErrors({ route: [problemText(err)], steps: {} });
    }
  };

  const firstError = errors.route.length ? -1 : Number(Object.keys(errors.steps)[0] ?? -2);

  return (
    <section class="screen route-builder">
      <h1>{t("routeTitle")}</h1>
      <p class="muted">{t("routeFor", { subject: doc.subject })}</p>

      <fieldset class="form-part start-from">
        <legend>{t("startFrom")}</legend>
        {templates.length > 0 && (
          <div class="form-row form-row-end">
            <div>
              <label for="route-template">{t("fromTemplate")}</label>
              <select id="route-template" value={template} onChange={(e) => setTemplate(e.currentTarget.value)}>
                <option value="">{t("chooseTemplate")}</option>
                {templates.map((x) => (
                  <option key={x.id} value={x.id}>
                    {x.name}
                  </option>
                ))}
              </select>
            </div>
            <button type="button" class="button" disabled={!template} onClick={useTemplate}>
              {t("useTemplate")}
            </button>
          </div>
        )}
        <button type="button" class="button" onClick={useLast}>
          {t("lastRoute")}
        </button>
        {notice && (
          <p class="help" role="status">
            {notice}
          </p>
        )}
      </fieldset>

      {errors.route.length > 0 && (
        <div class="error-box" role="alert" tabIndex={-1} ref={firstError === -1 ? errorRef : undefined}>
          {errors.route.map((e) => (
            <p key={e}>{e}</p>
          ))}
        </div>
      )}

      <ol class="steps">
        {steps.map((s, i) => (
          <li key={s.key} class={`step-card${errors.steps[i] ? " step-invalid" : ""}`}>
            <fieldset class="form">
              <legend class="step-title">{t("stepN", { n: i + 1 })}</legend>
              {errors.steps[i] && (
                <div class="step-errors" role="alert" tabIndex={-1} ref={firstError === i ? errorRef : undefined}>
                  {errors.steps[i].map((e) => (
                    <p key={e} class="form-error">
                      {e}
                    </p>
                  ))}
                </div>
              )}
              <label for={`step-${s.key}-kind`}>{t("stepKind")}</label>
              <select id={`step-${s.key}-kind`} value={s.kind} onChange={(e) => change(i, { kind: e.currentTarget.value })}>
                {KINDS.map((k) => (
                  <option key={k} value={k}>
                    {t(`kind_${k}`)}
                  </option>
                ))}
              </select>
              <p class="label" id={`step-${s.key}-actors`}>
                {t("actors")}
              </p>
              <ul class="actor-chips" aria-labelledby={`step-${s.key}-actors`}>
                {s.actors.map((a, j) => (
                  <li key={`${a.user_id}-${a.unit_id}`} class="actor-chip">
                    <span>{a.name}</span>
                    <button
                      type="button"
                      class="icon-button"
                      aria-label={t("removeActor", { name: a.name })}
                      onClick={() => change(i, { actors: s.actors.filter((_, k) => k !== j) })}
                    >
                      ✕
                    </button>
                  </li>
                ))}
              </ul>
              <button type="button" class="button" onClick={() => setPicking(i)}>
                <Icon name="plus" size={20} /> {t("addActor")}
              </button>
              {s.actors.length > 1 && (
                <fieldset class="inline-choice">
                  <legend>{t("mode")}</legend>
                  {["all", "any"].map((m) => (
                    <label key={m} class="check">
                      <input type="radio" name={`mode-${s.key}`} checked={s.mode === m} onChange={() => change(i, { mode: m })} />
                      <span>{t(`mode_${m}`)}</span>
                    </label>
                  ))}
                </fieldset>
              )}
              {s.kind === "consult" && (
                <label class="check">
                  <input type="checkbox" checked={s.blocking} onChange={(e) => change(i, { blocking: e.currentTarget.checked })} />
                  <span>{t("blocking")}</span>
                </label>
              )}
              {s.kind === "sign" && (
                <>
                  <label for={`step-${s.key}-prefix`}>{t("signingPrefix")}</label>
                  <select
                    id={`step-${s.key}-prefix`}
                    value={s.signing_prefix}
                    onChange={(e) => change(i, { signing_prefix: e.currentTarget.value })}
                  >
                    <option value="">{t("prefixNone")}</option>
                    {PREFIXES.map((p) => (
                      <option key={p} value={p}>
                        {p}
                      </option>
                    ))}
                  </select>
                </>
              )}
              <div class="step-tools">
                <button type="button" class="icon-button" disabled={i === 0} aria-label={t("moveUp", { n: i + 1 })} onClick={() => move(i, -1)}>
                  <Icon name="up" />
                </button>
                <button
                  type="button"
                  class="icon-button"
                  disabled={i === steps.length - 1}
                  aria-label={t("moveDown", { n: i + 1 })}
                  onClick={() => move(i, 1)}
                >
                  <Icon name="down" />
                </button>
                <button
                  type="button"
                  class="icon-button"
                  aria-label={t("removeStep", { n: i + 1 })}
                  onClick={() => setSteps(steps.filter((_, j) => j !== i))}
                >
                  <Icon name="trash" />
                </button>
              </div>
            </fieldset>
          </li>
        ))}
      </ol>
      <button type="button" class="button button-block" onClick={() => setSteps([...steps, newStep(steps.length ? "sign" : "review")])}>
        <Icon name="plus" size={22} /> {t("addStep")}
      </button>
      <div class="form-actions">
        <button type="button" class="button" disabled={busy} onClick={() => save(false)}>
          {t("saveRoute")}
        </button>
        <button type="button" class="button button-primary" disabled={busy} onClick={() => save(true)}>
          {t("saveAndSubmit")}
        </button>
      </div>
      {picking !== null && steps[picking] && (
        <ActorPicker
          step={steps[picking]}
          people={people}
          units={units}
          onClose={() => setPicking(null)}
          onPick={(actor) => {
            const s = steps[picking];
            if (!s.actors.some((a) => a.user_id === actor.user_id && a.unit_id === actor.unit_id)) {
              change(picking, { actors: [...s.actors, actor] });
            }
            setPicking(null);
          }}
        />
      )}
    </section>
  );
}

function nameOf(a, people, units) {
  if (a.user_id) {
    const p = people.find((x) => x.id === a.user_id);
    return p ? p.full_name : `#${a.user_id}`;
  }
  const u = units.find((x) => x.id === a.unit_id);
  return t("actorUnit", { unit: u ? u.name : `#${a.unit_id}` });
}

const fold = (s) =>
  (s || "")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/đ/g, "d")
    .replace(/Đ/g, "D")
    .toLowerCase();

/** Who fits a kind of step first (signers for a sign step, clerks for the issue step). */
function fits(kind, person) {
  const roles = (person.memberships || []).map((m) => m.role);
  if (kind === "sign") return roles.includes("leader") || roles.includes("head");
  if (kind === "issue") return roles.includes("clerk");
  return !roles.every((r) => r === "admin");
}

function ActorPicker({ step, people, units, onClose, onPick }) {
  const [q, setQ] = useState("");
  const words = fold(q).split(/\s+/).filter(Boolean);
  const match = (text) => words.every((w) => fold(text).includes(w));
  const persons = people
    .filter((p) => fits(step.kind, p))
    .map((p) => {
      const m = p.memberships?.[0] || {};
      const detail = [m.position_title, m.unit_name].filter(Boolean).join(" — ");
      return { user_id: p.id, unit_id: null, name: p.full_name, detail };
    });
  const unitActors = step.kind === "issue" ? [] : units.map((u) => ({ user_id: null, unit_id: u.id, name: t("actorUnit", { unit: u.name }), detail: "" }));
  const found = [...persons, ...unitActors].filter((a) => match(`${a.name} ${a.detail}`)).slice(0, 30);
  return (
    <Sheet title={t("addActor")} onClose={onClose} labelledBy="picker-title">
      <div class="form">
        <label for="picker-q">{t("searchPeople")}</label>
        <input
          id="picker-q"
          type="search"
          value={q}
          onInput={(e) => setQ(e.currentTarget.value)}
          aria-describedby="picker-help"
          autocomplete="off"
        />
        <p class="help" id="picker-help">
          {t("searchPeopleHelp")}
        </p>
      </div>
      <ul class="picker-list" aria-live="polite">
        {found.map((a) => (
          <li key={`${a.user_id}-${a.unit_id}`}>
            <button type="button" class="picker-item" onClick={() => onPick({ user_id: a.user_id, unit_id: a.unit_id, name: a.name })}>
              <span class="picker-name">{a.name}</span>
              {a.detail && <span class="muted small">{a.detail}</span>}
            </button>
          </li>
        ))}
        {found.length === 0 && <li class="muted">{t("noMatch")}</li>}
      </ul>
    </Sheet>
  );
}
