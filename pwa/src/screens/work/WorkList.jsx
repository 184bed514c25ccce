// Việc được giao: the work given to my unit or to me, by state (new, in progress,
// overdue, done) with deadlines and overdue marks; for a head also what I assigned (the
// "following" list); a leader sees what they assigned.
import { E } from "../../endpoints.js";
import { fmtDate, t } from "../../i18n.js";
import { may } from "../../roles.js";
import { ErrorBox, Link, navigate, Spinner, TabBar } from "../../ui.jsx";
import { usePaged } from "../paged.js";
import "../../strings/work.js";

const STATES = [
  { id: "new", query: { state: "new" } },
  { id: "in_progress", query: { state: "in_progress" } },
  { id: "overdue", query: { overdue: true } },
  { id: "completed", query: { state: "completed" } },
];

/** The scopes this person has: a head the unit's and what they assigned, etc. */
export function scopesFor(roles) {
  if (roles.has("head")) return ["unit", "assigned_by_me"];
  if (may.work(roles)) return ["mine"];
  return ["assigned_by_me"];
}

export function WorkList({ search, roles, dataTick, selected }) {
  const params = new URLSearchParams(search);
  const scopes = scopesFor(roles);
  const scope = scopes.includes(params.get("scope") || "") ? params.get("scope") : scopes[0];
  const state = STATES.find((s) => s.id === params.get("state")) || STATES[0];
  const list = usePaged(E.workList, [], { scope, ...state.query, limit: 20 }, [scope, state.id, dataTick]);
  const go = (next) => {
    const q = new URLSearchParams({ scope, state: state.id, ...next });
    navigate(`/assignments?${q}`, { replace: true });
  };
  const title = scope === "assigned_by_me" && scopes.length === 1 ? t("followTitle") : t("workTitle");
  return (
    <div class="list-screen">
      <h1>{title}</h1>
      {scopes.length > 1 && (
        <div class="segmented" role="group" aria-label={t("scope")}>
          {scopes.map((s) => (
            <button key={s} type="button" class="chip-button" aria-pressed={s === scope} onClick={() => go({ scope: s })}>
              {t(`scope_${s}`)}
            </button>
          ))}
        </div>
      )}
      <TabBar
        tabs={STATES.map((s) => ({ id: s.id, label: t(`wtab_${s.id}`) }))}
        current={state.id}
        onSelect={(id) => go({ state: id })}
        label={title}
        controls="work-panel"
      />
      <section id="work-panel" role="tabpanel" aria-labelledby={`tab-${state.id}`} aria-busy={list.loading}>
        <ul class="doc-list">
          {list.items.map((a) => (
            <WorkRow key={a.id} a={a} scope={scope} open={selected === a.id} />
          ))}
        </ul>
        {list.loading && <Spinner />}
        {list.error && <ErrorBox text={list.error} onRetry={list.reload} />}
        {!list.loading && !list.error && list.items.length === 0 && <p class="empty">{t("noWork")}</p>}
        {!list.loading && list.cursor && (
          <button type="button" class="button button-block" onClick={list.more}>
            {t("loadMore")}
          </button>
        )}
      </section>
    </div>
  );
}

function WorkRow({ a, scope, open }) {
  const who = a.assignee?.full_name || a.unit?.name;
  return (
    <li class={`doc-row${a.overdue ? " doc-row-urgent" : ""}${open ? " doc-row-open" : ""}`}>
      <Link href={`/assignments/${a.id}`} class="doc-link" aria-current={open ? "page" : undefined}>
        <span class="doc-marks">
          <span class="mark mark-status">{t(`role_${a.role}`)}</span>
          {a.overdue && <span class="mark mark-overdue">{t("overdue")}</span>}
          {a.state === "completed" && <span class="mark mark-ok">{t("astate_completed")}</span>}
        </span>
        <span class="doc-subject">{a.document?.subject}</span>
        <span class="doc-meta">
          {scope === "assigned_by_me" ? t("assignedTo", { name: who }) : a.assignee ? who : a.unit?.name}
        </span>
        <span class={`doc-meta${a.overdue ? " text-urgent" : ""}`}>
          {a.deadline ? t("dueOn", { date: fmtDate(a.deadline) }) : t("noDue")}
          {a.role !== "fyi" && (
            <>
              {" · "}
              <span class="progress-inline">
                <progress max={100} value={a.progress} aria-label={t("progressLabel")} /> {a.progress}%
              </span>
            </>
          )}
        </span>
      </Link>
    </li>
  );
}
