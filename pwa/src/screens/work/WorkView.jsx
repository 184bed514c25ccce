// One assignment: the document and the leader's instruction, the deadline, the other
// units and their progress, the people of the unit, progress reports with their files,
// extension requests; and what I may do: acknowledge, sub-assign, report progress (with
// files or photos), ask for more time or decide it, complete.
import { useEffect, useState } from "preact/hooks";
import { downloadFrom, load, request } from "../../api.js";
import { E } from "../../endpoints.js";
import { fmtDate, fmtDateTime, problemText, t } from "../../i18n.js";
import { headedUnits } from "../../roles.js";
import { ErrorBox, Icon, Link, navigate, Sheet, Spinner, toast } from "../../ui.jsx";
import { vnDate } from "../Assign.jsx";
import { FilePicker, kb } from "../files.jsx";
import "../../strings/work.js";
import "../../strings/draft.js";

export function WorkView({ id, auth, afterDecision }) {
  const me = auth.user;
  const orgId = me?.memberships?.[0]?.organisation_id;
  const [a, setA] = useState(/** @type {any} */ (null));
  const [doc, setDoc] = useState(/** @type {any} */ (null));
  const [tree, setTree] = useState(/** @type {any} */ (null));
  const [instruction, setInstruction] = useState(/** @type {any} */ (null));
  const [error, setError] = useState("");
  const [sheet, setSheet] = useState(/** @type {string|null} */ (null));
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    setError("");
    load(E.work, [id])
      .then(async (r) => {
        if (!live) return;
        const node = r.data;
        setA(node);
        const [d, tr, tl] = await Promise.all([
          load(E.document, [node.document_id]).catch(() => null),
          load(E.assignments, [node.document_id]).catch(() => null),
          load(E.timeline, [node.document_id]).catch(() => null),
        ]);
        if (!live) return;
        setDoc(d?.data || null);
        setTree(tr?.data || null);
        // the leader's instruction: the assigner's instruction written with the phiếu
        const made = new Date(node.created_at).getTime() + 2000;
        const found = (tl?.data || [])
          .filter((e) => e.kind === "instruction" && e.actor?.id === node.assigner?.id && new Date(e.at).getTime() <= made)
          .pop();
        setInstruction(found || null);
      })
      .catch((err) => live && setError(problemText(err)));
    return () => (live = false);
  }, [id, tick]);

  if (error && !a) return <ErrorBox text={error} onRetry={() => setTick(tick + 1)} />;
  if (!a) return <Spinner />;

  const heads = headedUnits(me);
  const open = a.state !== "completed";
  const answers = a.assignee?.id === me.id || heads.includes(a.unit?.id);
  const isHeadOfUnit = !a.assignee && heads.includes(a.unit?.id);
  const decides = a.assigner?.id === me.id || (a.parent_id && heads.includes(a.unit?.id));
  const pendingExt = (a.extensions || []).find((e) => e.status === "pending");
  const openChildren = (a.children || []).filter((c) => c.state !== "completed");
  const done = () => {
    setSheet(null);
    afterDecision?.();
    setTick((n) => n + 1);
  };
  const others = (tree?.assignments || []).filter((x) => x.id !== a.id && x.id !== a.parent_id);

  const acknowledge = async () => {
    try {
      await request(E.acknowledge, [a.id], { body: {} });
      toast(t("acknowledged"), "success");
      done();
    } catch (err) {
      toast(problemText(err), "error");
    }
  };

  // what I may do, the likeliest first: an extension waiting for my answer; completing
  // once the people's parts are done; otherwise reporting progress
  const partsDone = (a.children || []).length > 0 && !openChildren.length;
  const actions = [];
  const acting = open && answers && a.role !== "fyi";
  if (open && decides && pendingExt) actions.push(["decide", "actDecide"]);
  if (open && answers && a.role === "fyi") actions.push(["acknowledge", "actAcknowledge"]);
  if (acting && partsDone) actions.push(["complete", "actComplete"]);
  if (acting) actions.push(["progress", "actProgress"]);
  if (open && isHeadOfUnit && a.role !== "fyi") actions.push(["sub", "actSubAssign"]);
  if (acting && !pendingExt) actions.push(["extension", "actExtension"]);
  if (acting && !openChildren.length && !partsDone) actions.push(["complete", "actComplete"]);

  return (
    <article class={`work${actions.length ? " with-action-bar" : ""}`}>
      <header class="doc-head">
        <div class="doc-marks">
          <span class="mark mark-status">{t(`role_${a.role}`)}</span>
          <span class={`mark ${a.state === "completed" ? "mark-ok" : "mark-status"}`}>{t(`astate_${a.state}`)}</span>
          {a.overdue && <span class="mark mark-overdue">{t("overdue")}</span>}
        </div>
        <h1 class="doc-title">{doc?.subject || t("theDocument")}</h1>
      </header>
      <dl class="meta">
        <dt>{t("yourPart")}</dt>
        <dd>{a.assignee ? `${a.assignee.full_name} — ${a.unit?.name}` : a.unit?.name}</dd>
        <dt>{t("deadline")}</dt>
        <dd class={a.overdue ? "text-urgent" : ""}>
          {a.deadline ? fmtDate(a.deadline) : t("noDue")}{" "}
          {a.original_deadline && a.original_deadline !== a.deadline && (
            <span class="muted">{t("deadlineWas", { date: fmtDate(a.original_deadline) })}</span>
          )}
        </dd>
        <dt>{t("assigner")}</dt>
        <dd>
          {a.assigner?.full_name} <span class="muted">· {fmtDateTime(a.created_at)}</span>
        </dd>
        {a.role !== "fyi" && (
          <>
            <dt>{t("progressLabel")}</dt>
            <dd class="progress-inline">
              <progress max={100} value={a.progress} aria-label={t("progressLabel")} /> {a.progress}%
            </dd>
          </>
        )}
        {doc?.number_symbol && (
          <>
            <dt>{t("numberSymbol")}</dt>
            <dd>{doc.number_symbol}</dd>
          </>
        )}
      </dl>
      {(instruction || a.text) && (
        <section aria-labelledby="w-instr">
          <h2 id="w-instr">{t("instruction")}</h2>
          {instruction && (
            <blockquote>
              {instruction.text}
              <span class="muted small quote-by">
                — {instruction.actor?.full_name}
                {instruction.actor?.position_title && ` (${instruction.actor.position_title})`}
              </span>
            </blockquote>
          )}
          {a.text && <p>{a.text}</p>}
        </section>
      )}
      <Link href={`/documents/${a.document_id}`} class="button button-block">
        {t("openDocument")}
      </Link>
      {a.state === "completed" && (
        <section aria-labelledby="w-result">
          <h2 id="w-result">{t("resultLabel")}</h2>
          <p>{a.result}</p>
          {a.reply_document && (
            <p>
              {t("replyDocument")}: <Link href={`/documents/${a.reply_document.id}`}>{a.reply_document.subject}</Link>
            </p>
          )}
        </section>
      )}
      {others.length > 0 && (
        <section aria-labelledby="w-units">
          <h2 id="w-units">{t("otherUnits")}</h2>
          <ul class="plain-list assignments">
            {others.map((x) => (
              <li key={x.id} class={x.overdue ? "text-urgent" : ""}>
                <strong>{t(`role_${x.role}`)}:</strong> {x.unit?.name}
                {x.deadline && <> — {fmtDate(x.deadline)}</>}
                {x.role !== "fyi" && (
                  <span class="muted">
                    {" "}
                    · {t(`astate_${x.state}`)} {x.progress}%
                  </span>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
      {(a.children || []).length > 0 && (
        <section aria-labelledby="w-people">
          <h2 id="w-people">{t("people")}</h2>
          <ul class="plain-list assignments">
            {a.children.map((c) => (
              <li key={c.id} class={c.overdue ? "text-urgent" : ""}>
                <Link href={`/assignments/${c.id}`}>{c.assignee?.full_name}</Link> — {fmtDate(c.deadline)}
                <span class="muted">
                  {" "}
                  · {t(`astate_${c.state}`)} {c.progress}%
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section aria-labelledby="w-progress">
        <h2 id="w-progress">{t("progressReports")}</h2>
        {(a.progress_reports || []).length === 0 && <p class="muted">{t("noProgress")}</p>}
        <ol class="timeline">
          {[...(a.progress_reports || [])].reverse().map((p) => (
            <li key={p.id}>
              <p class="tl-when">{fmtDateTime(p.created_at)}</p>
              <p>
                <strong>{p.percent}%</strong> — {p.author?.full_name}
              </p>
              {p.note && <blockquote>{p.note}</blockquote>}
              {(p.files || []).map((f) => (
                <button
                  key={f.id}
                  type="button"
                  class="link-button"
                  onClick={() => downloadFrom(E.progressFile, [a.id, f.id], undefined, f.filename).catch((e) => toast(problemText(e), "error"))}
                >
                  <Icon name="clip" size={20} /> {f.filename} <span class="muted">({kb(f.size)})</span>
                </button>
              ))}
            </li>
          ))}
        </ol>
      </section>
      {(a.extensions || []).length > 0 && (
        <section aria-labelledby="w-ext">
          <h2 id="w-ext">{t("extensions")}</h2>
          <ul class="plain-list">
            {a.extensions.map((e) => (
              <li key={e.id}>
                <span class={`mark ${e.status === "accepted" ? "mark-ok" : e.status === "refused" ? "mark-overdue" : "mark-pending"}`}>
                  {t(`ext_${e.status}`)}
                </span>{" "}
                {t("extLine", { date: fmtDate(e.requested_deadline), reason: e.reason })}
                {e.decided_by && (
                  <p class="muted small">
                    {t("extDecided", { decision: t(`ext_${e.status}`), name: e.decided_by.full_name })}
                    {e.decision_note && `: ${e.decision_note}`}
                  </p>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
      {actions.length > 0 && (
        <div class="action-bar" role="toolbar" aria-label={t("workTitle")}>
          {actions.slice(0, actions.length > 3 ? 2 : 3).map(([key, label], i) => (
            <button
              key={key}
              type="button"
              class={`button${i === 0 ? " button-primary" : ""}`}
              onClick={() => (key === "acknowledge" ? acknowledge() : setSheet(key))}
            >
              {t(`${label}Short`)}
            </button>
          ))}
          {actions.length > 3 && (
            <button type="button" class="button" onClick={() => setSheet("more")} aria-haspopup="dialog">
              {t("actMore")}
            </button>
          )}
        </div>
      )}
      {sheet === "more" && (
        <Sheet title={t("actMore")} onClose={() => setSheet(null)} labelledBy="wmore-title">
          <div class="stack">
            {actions.slice(2).map(([key, label]) => (
              <button key={key} type="button" class="button button-block" onClick={() => setSheet(key)}>
                {t(label)}
              </button>
            ))}
          </div>
        </Sheet>
      )}
      {sheet === "progress" && <ProgressSheet a={a} onClose={() => setSheet(null)} onDone={done} />}
      {sheet === "sub" && <SubAssignSheet a={a} orgId={orgId} meId={me.id} onClose={() => setSheet(null)} onDone={done} />}
      {sheet === "extension" && <ExtensionSheet a={a} onClose={() => setSheet(null)} onDone={done} />}
      {sheet === "decide" && pendingExt && <DecideSheet a={a} ext={pendingExt} onClose={() => setSheet(null)} onDone={done} />}
      {sheet === "complete" && <CompleteSheet a={a} onClose={() => setSheet(null)} onDone={done} />}
    </article>
  );
}

/** A form in a sheet: the submit runs `run`, its error shows under the fields. */
function FormSheet({ title, id, submit, danger, onClose, run, children }) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const go = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      const problem = await run();
      if (problem) {
        setError(problem);
        setBusy(false);
      }
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
    }
  };
  return (
    <Sheet title={title} onClose={onClose} labelledBy={`${id}-title`}>
      <form class="form" onSubmit={go} novalidate>
        {children}
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class={`button button-block ${danger ? "button-danger" : "button-primary"}`} disabled={busy}>
          {submit}
        </button>
      </form>
    </Sheet>
  );
}

function ProgressSheet({ a, onClose, onDone }) {
  const [percent, setPercent] = useState(Math.min(100, (a.progress || 0) + 10));
  const [note, setNote] = useState("");
  const [files, setFiles] = useState(/** @type {File[]} */ ([]));
  const run = async () => {
    const node = await request(E.progress, [a.id], { body: { percent: Number(percent), note: note.trim() } });
    if (files.length) {
      const report = node.progress_reports[node.progress_reports.length - 1];
      const data = new FormData();
      for (const f of files.slice(0, 5)) data.append("files", f);
      try {
        await request(E.progressFiles, [a.id, report.id], { form: data });
      } catch (err) {
        toast(t("progressFilesFailed", { detail: problemText(err) }), "error");
        onDone();
        return;
      }
    }
    toast(t("progressSent"), "success");
    onDone();
  };
  return (
    <FormSheet title={t("progressTitle")} id="progress" submit={t("send")} onClose={onClose} run={run}>
      <label for="progress-percent">{t("percent")}</label>
      <div class="percent-row">
        <input
          id="progress-percent-range"
          type="range"
          min={0}
          max={100}
          step={5}
          value={percent}
          aria-label={t("percent")}
          onInput={(e) => setPercent(Number(e.currentTarget.value))}
        />
        <input
          id="progress-percent"
          type="number"
          inputMode="numeric"
          min={0}
          max={100}
          value={percent}
          onInput={(e) => setPercent(Math.max(0, Math.min(100, Number(e.currentTarget.value) || 0)))}
        />
      </div>
      <label for="progress-note">{t("progressNote")}</label>
      <textarea id="progress-note" rows={3} maxLength={4000} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      <FilePicker
        id="progress-files"
        label={t("progressFiles")}
        help={t("progressFilesHelp")}
        accept=".pdf,.docx,.xlsx,.pptx,.odt,.ods,.doc,.xls,image/*"
        multiple
        button={t("chooseFiles")}
        files={files}
        onChange={(f) => setFiles(f.slice(0, 5))}
      />
    </FormSheet>
  );
}

function SubAssignSheet({ a, orgId, meId, onClose, onDone }) {
  const [people, setPeople] = useState(/** @type {any[]|null} */ (null));
  const [chosen, setChosen] = useState(/** @type {Record<number, {deadline:string, text:string}>} */ ({}));
  useEffect(() => {
    load(E.users, [orgId])
      .then((r) =>
        setPeople(
          (r.data || []).filter(
            (u) => u.id !== meId && u.active !== false && (u.memberships || []).some((m) => m.unit_id === a.unit?.id),
          ),
        ),
      )
      .catch(() => setPeople([]));
  }, []);
  const today = vnDate(0);
  const run = async () => {
    const items = Object.entries(chosen).map(([uid, v]) => ({ assignee_id: Number(uid), deadline: v.deadline, text: v.text.trim() }));
    if (!items.length) return t("choosePeople");
    await request(E.subAssign, [a.id], { body: { items } });
    toast(t("subAssigned", { n: items.length }), "success");
    onDone();
  };
  const toggle = (u) =>
    setChosen((c) => {
      const next = { ...c };
      if (next[u.id]) delete next[u.id];
      else next[u.id] = { deadline: a.deadline || vnDate(7), text: "" };
      return next;
    });
  const edit = (uid, patch) => setChosen((c) => ({ ...c, [uid]: { ...c[uid], ...patch } }));
  return (
    <FormSheet title={t("subAssignTitle")} id="sub" submit={t("actSubAssign")} onClose={onClose} run={run}>
      {a.deadline && <p class="help">{t("subAssignHelp", { date: fmtDate(a.deadline) })}</p>}
      {people === null && <Spinner />}
      <fieldset>
        <legend>{t("person")}</legend>
        {(people || []).map((u) => (
          <div key={u.id}>
            <label class="check">
              <input type="checkbox" checked={Boolean(chosen[u.id])} onChange={() => toggle(u)} />
              <span>
                {u.full_name}
                {u.memberships?.[0]?.position_title && <span class="muted"> — {u.memberships[0].position_title}</span>}
              </span>
            </label>
            {chosen[u.id] && (
              <div class="assign-deadline">
                <label for={`sub-deadline-${u.id}`}>{t("deadlineOf", { unit: u.full_name })}</label>
                <input
                  id={`sub-deadline-${u.id}`}
                  type="date"
                  min={today}
                  max={a.deadline || undefined}
                  value={chosen[u.id].deadline}
                  onInput={(e) => edit(u.id, { deadline: e.currentTarget.value })}
                />
                <label for={`sub-text-${u.id}`}>{t("partText")}</label>
                <input id={`sub-text-${u.id}`} value={chosen[u.id].text} maxLength={2000} onInput={(e) => edit(u.id, { text: e.currentTarget.value })} />
              </div>
            )}
          </div>
        ))}
      </fieldset>
    </FormSheet>
  );
}

function ExtensionSheet({ a, onClose, onDone }) {
  const [deadline, setDeadline] = useState("");
  const [reason, setReason] = useState("");
  const run = async () => {
    if (!deadline || !reason.trim()) return t("textRequired");
    await request(E.extension, [a.id], { body: { deadline, reason: reason.trim() } });
    toast(t("extensionSent"), "success");
    onDone();
  };
  return (
    <FormSheet title={t("extensionTitle")} id="ext" submit={t("send")} onClose={onClose} run={run}>
      <label for="ext-deadline">{t("newDeadline")}</label>
      <input id="ext-deadline" type="date" min={a.deadline || vnDate(1)} value={deadline} onInput={(e) => setDeadline(e.currentTarget.value)} />
      <label for="ext-reason">{t("extensionReason")}</label>
      <textarea id="ext-reason" rows={3} maxLength={2000} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
    </FormSheet>
  );
}

function DecideSheet({ a, ext, onClose, onDone }) {
  const [decision, setDecision] = useState("accept");
  const [note, setNote] = useState("");
  const run = async () => {
    await request(E.decideExtension, [a.id, ext.id], { body: { decision, note: note.trim() }, ifMatch: a.etag });
    toast(t("decided"), "success");
    onDone();
  };
  return (
    <FormSheet title={t("decideTitle")} id="decide" submit={t(decision === "accept" ? "accept" : "refuse")} danger={decision !== "accept"} onClose={onClose} run={run}>
      <p>
        {ext.requested_by?.full_name}: {t("extLine", { date: fmtDate(ext.requested_deadline), reason: ext.reason })}
      </p>
      <fieldset>
        <legend>{t("decideTitle")}</legend>
        {["accept", "refuse"].map((d) => (
          <label key={d} class="check">
            <input type="radio" name="decision" checked={decision === d} onChange={() => setDecision(d)} />
            <span>{t(d)}</span>
          </label>
        ))}
      </fieldset>
      <label for="decide-note">{t("decisionNote")}</label>
      <textarea id="decide-note" rows={2} maxLength={2000} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
    </FormSheet>
  );
}

function CompleteSheet({ a, onClose, onDone }) {
  const [result, setResult] = useState("");
  const [reply, setReply] = useState("");
  const [drafts, setDrafts] = useState(/** @type {any[]} */ ([]));
  useEffect(() => {
    load(E.documents, [], { mine: true, direction: "outgoing", limit: 20 })
      .then((r) => setDrafts(r.data.items || []))
      .catch(() => {});
  }, []);
  const run = async () => {
    if (!result.trim()) return t("resultRequired");
    await request(E.complete, [a.id], {
      body: { result: result.trim(), reply_document_id: reply ? Number(reply) : null },
      ifMatch: a.etag,
    });
    toast(t("completed"), "success");
    onDone();
  };
  return (
    <FormSheet title={t("completeTitle")} id="complete" submit={t("actComplete")} onClose={onClose} run={run}>
      <label for="complete-result">{t("result")}</label>
      <textarea id="complete-result" rows={4} maxLength={8000} value={result} onInput={(e) => setResult(e.currentTarget.value)} />
      <label for="complete-reply">{t("replyOptional")}</label>
      <select id="complete-reply" value={reply} onChange={(e) => setReply(e.currentTarget.value)}>
        <option value="">{t("noReply")}</option>
        {drafts.map((d) => (
          <option key={d.id} value={d.id}>
            {d.subject}
          </option>
        ))}
      </select>
      <button type="button" class="link-button" onClick={() => navigate("/drafts/new")}>
        {t("newReply")}
      </button>
    </FormSheet>
  );
}
