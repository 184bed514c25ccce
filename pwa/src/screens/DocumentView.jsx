// One document: metadata first, then the pages as images, attachments, signatures, the
// timeline, and — when it waits for me — the decision bar at the bottom (one hand).
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, downloadFile, imageURL, load, newKey, request } from "../api.js";
import { E } from "../endpoints.js";
import { fmtDate, fmtDateTime, getLang, problemText, t } from "../i18n.js";
import { dropItem, enqueue, QUEUEABLE, retryItem } from "../queue.js";
import { waitingSteps } from "../store.js";
import { ErrorBox, navigate, OverdueMark, Sheet, Spinner, toast, UrgencyMark } from "../ui.jsx";
import { ASSIGNABLE, AssignSheet, mayAssign, Processing } from "./Assign.jsx";
import { SignFlow } from "./Sign.jsx";

const DONE_TEXT = {
  approve: "doneApprove",
  return: "doneReturn",
  instruction: "doneInstruction",
  forward: "doneForward",
};
const ACTION_NAME = {
  approve: "actApprove",
  return: "actReturn",
  instruction: "actInstruction",
  forward: "actForward",
};

export function DocumentView({ id, auth, queue, afterDecision }) {
  const [doc, setDoc] = useState(/** @type {any} */ (null));
  const [cachedAt, setCachedAt] = useState(0);
  const [error, setError] = useState("");
  const [route, setRoute] = useState(/** @type {any} */ (undefined));
  const [timeline, setTimeline] = useState(/** @type {any[]|null} */ (null));
  const [units, setUnits] = useState(/** @type {Map<number,string>|null} */ (null));
  const [sheet, setSheet] = useState(/** @type {string|null} */ (null));
  const [tick, setTick] = useState(0);
  const [assigned, setAssigned] = useState(/** @type {any} */ (null));
  const me = auth.user;
  const orgId = me?.memberships?.[0]?.organisation_id;

  useEffect(() => {
    let live = true;
    setError("");
    load(E.document, [id])
      .then((r) => live && (setDoc(r.data), setCachedAt(r.cached ? r.at : 0)))
      .catch((err) => live && setError(problemText(err)));
    load(E.route, [id])
      .then((r) => live && setRoute(r.data))
      .catch(() => live && setRoute(null));
    load(E.timeline, [id])
      .then((r) => live && setTimeline(r.data))
      .catch(() => live && setTimeline([]));
    if (orgId) {
      load(E.units, [orgId])
        .then((r) => live && setUnits(new Map(r.data.map((u) => [u.id, u.name]))))
        .catch(() => live && setUnits(new Map()));
    }
    return () => (live = false);
  }, [id, tick]);

  // the processing of an issued / registered document (giao xử lý), when there is one
  const assignable = Boolean(doc && doc.id === id && ASSIGNABLE.has(doc.status));
  useEffect(() => {
    setAssigned(null);
    if (!assignable) return;
    let live = true;
    load(E.assignments, [id])
      .then((r) => live && setAssigned(r.data))
      .catch(() => live && setAssigned(null));
    return () => (live = false);
  }, [id, assignable, tick]);

  // while the server converts a Word draft, look again every few seconds
  const waitingForPdf = ["pending", "running"].includes(doc?.conversion?.state);
  useEffect(() => {
    if (!waitingForPdf) return;
    const timer = setTimeout(() => setTick((n) => n + 1), 3000);
    return () => clearTimeout(timer);
  }, [waitingForPdf, tick]);

  if (error && !doc) return <ErrorBox text={error} onRetry={() => setTick(tick + 1)} />;
  // shown once what the first screen shows is there (the sender's name comes from the
  // timeline and the units, the decision bar from the route): nothing moves afterwards
  const ready = doc && route !== undefined && timeline !== null && (units !== null || !orgId);
  if (!ready) return <Spinner />;

  const myStep = findMyStep(route, me?.id) || (doc.status === "in_review" ? waitingSteps.get(id)?.step : null);
  const mine = queue.filter((x) => x.documentId === id);
  const pending = mine.filter((x) => x.state === "pending");
  const canDecide = Boolean(myStep) && doc.status === "in_review" && pending.length === 0;
  // a Word draft has no main PDF while the server converts it (doc.conversion)
  const mainFile = doc.files?.find((f) => f.kind === "main") || (doc.conversion ? null : doc.files?.[0]);
  const converting = !mainFile && ["pending", "running"].includes(doc.conversion?.state);
  const attachments = (doc.files || []).filter((f) => f !== mainFile);
  const drafter = timeline?.find((e) => e.kind === "version")?.actor;
  const canAssign = assignable && Boolean(assigned) && !assigned.assignments?.length && mayAssign(me, doc);

  /** Take a decision; offline, approve/return/instruction wait in the queue. */
  const decide = async (action, body) => {
    const key = newKey();
    const queueIt = () =>
      enqueue({ id: key, action, documentId: id, subject: doc.subject, body, etag: doc.etag }).then(() => {
        setSheet(null);
        toast(t("queued"));
      });
    if (!navigator.onLine && QUEUEABLE.has(action)) return queueIt();
    try {
      const endpoint = { approve: E.approve, return: E.return, forward: E.forward, instruction: E.instruction }[action];
      await request(endpoint, [id], {
        body,
        ifMatch: action === "instruction" ? undefined : doc.etag,
        idempotencyKey: key,
      });
    } catch (err) {
      if (err instanceof ApiError && err.offline && QUEUEABLE.has(action)) return queueIt();
      throw err;
    }
    setSheet(null);
    toast(t(DONE_TEXT[action]), "success");
    waitingSteps.delete(id);
    afterDecision();
    if (action === "instruction") setTick((n) => n + 1);
    else navigate("/");
  };

  return (
    <article class={`document${canDecide || canAssign ? " with-action-bar" : ""}`}>
      {cachedAt > 0 && (
        <p class="notice" role="status">
          {t("offlineBanner")} {t("savedAt", { time: fmtDateTime(new Date(cachedAt).toISOString()) })}
        </p>
      )}
      {mine.map((item) => (
        <QueueNotice key={item.id} item={item} doc={doc} onChanged={() => setTick((n) => n + 1)} />
      ))}

      <header class="doc-head">
        <div class="doc-marks">
          <UrgencyMark urgency={doc.urgency} />
          <OverdueMark overdue={isOverdue(doc)} />
          {doc.status && <span class="mark mark-status">{t(`status_${doc.status}`)}</span>}
        </div>
        <h1 class="doc-title">{doc.subject}</h1>
      </header>

      <dl class="meta">
        <dt>{t("type")}</dt>
        <dd>{doc.document_type?.name || "—"}</dd>
        <dt>{t("numberSymbol")}</dt>
        <dd>{doc.number_symbol || <span class="muted">{t("notNumbered")}</span>}</dd>
        <dt>{t("subject")}</dt>
        <dd>{doc.subject}</dd>
        <dt>{t("from")}</dt>
        <dd>
          {[units?.get(doc.unit_id), drafter && `${drafter.full_name}${drafter.position_title ? ` (${drafter.position_title})` : ""}`]
            .filter(Boolean)
            .join(" — ") || "—"}
        </dd>
        <dt>{t("deadline")}</dt>
        <dd class={isOverdue(doc) ? "text-urgent" : ""}>{doc.due_date ? fmtDate(doc.due_date) : t("noDeadline")}</dd>
        <dt>{t("urgency")}</dt>
        <dd class={doc.urgency && doc.urgency !== "normal" ? "text-urgent" : ""}>{t(`urgency_${doc.urgency || "normal"}`)}</dd>
      </dl>

      {!mainFile && doc.conversion && (
        <p class={`notice${converting ? "" : " text-urgent"}`} role="status">
          {converting
            ? t("converting")
            : t("conversionFailed", { reason: (getLang() === "vi" && doc.conversion.reason_vi) || doc.conversion.reason || "" })}
        </p>
      )}

      {mainFile && (
        <section aria-labelledby="pages-title">
          <h2 id="pages-title">{t("pages")}</h2>
          <p class="help">{t("zoomHint")}</p>
          <Pages docId={id} file={mainFile} />
          <button type="button" class="button button-block" onClick={() => downloadFile(id, mainFile).catch((e) => toast(problemText(e), "error"))}>
            ⬇ {t("downloadPdf")}
          </button>
        </section>
      )}

      {attachments.length > 0 && (
        <section aria-labelledby="att-title">
          <h2 id="att-title">{t("attachments")}</h2>
          <ul class="plain-list">
            {attachments.map((f) => (
              <li key={f.id}>
                <button type="button" class="link-button" onClick={() => downloadFile(id, f).catch((e) => toast(problemText(e), "error"))}>
                  📎 {f.filename} <span class="muted">({Math.ceil((f.size || 0) / 1024)} KB)</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}

      <Processing data={assigned} />

      <Signatures id={id} />

      <section aria-labelledby="tl-title">
        <h2 id="tl-title">{t("timeline")}</h2>
        <Timeline events={timeline} />
      </section>

      {canDecide && (
        <div class="action-bar" role="toolbar" aria-label={t("documentTitle")}>
          {myStep.kind === "sign" ? (
            <button type="button" class="button button-primary" onClick={() => setSheet("sign")}>
              {t("actSign")}
            </button>
          ) : (
            <button type="button" class="button button-primary" onClick={() => setSheet("approve")}>
              {t("actApprove")}
            </button>
          )}
          <button type="button" class="button" onClick={() => setSheet("return")}>
            {t("actReturn")}
          </button>
          <button type="button" class="button" onClick={() => setSheet("instruction")}>
            {t("actInstruction")}
          </button>
          <button type="button" class="button" onClick={() => setSheet("more")} aria-haspopup="dialog">
            {t("actMore")}
          </button>
        </div>
      )}

      {canAssign && !canDecide && (
        <div class="action-bar" role="toolbar" aria-label={t("documentTitle")}>
          <button type="button" class="button button-primary" onClick={() => setSheet("assign")}>
            {t("actAssign")}
          </button>
        </div>
      )}
      {sheet === "assign" && (
        <AssignSheet
          doc={doc}
          orgId={orgId}
          onClose={() => setSheet(null)}
          onDone={() => {
            setSheet(null);
            toast(t("doneAssign"), "success");
            afterDecision();
            setTick((n) => n + 1);
          }}
        />
      )}
      {sheet === "approve" && (
        <TextSheet
          title={t("approveTitle")}
          label={t("commentOptional")}
          submit={t("actApprove")}
          onClose={() => setSheet(null)}
          onSubmit={(text) => decide("approve", { comment: text })}
        />
      )}
      {sheet === "return" && (
        <TextSheet
          title={t("returnTitle")}
          label={t("returnReason")}
          required={t("reasonRequired")}
          warning={t("returnConfirm")}
          submit={t("actReturn")}
          danger
          onClose={() => setSheet(null)}
          onSubmit={(text) => decide("return", { reason: text })}
        />
      )}
      {sheet === "instruction" && (
        <TextSheet
          title={t("instructionTitle")}
          label={t("instructionText")}
          required={t("textRequired")}
          phrases
          submit={t("send")}
          onClose={() => setSheet(null)}
          onSubmit={(text) => decide("instruction", { text })}
        />
      )}
      {sheet === "more" && (
        <Sheet title={t("actMore")} onClose={() => setSheet(null)} labelledBy="more-title">
          <div class="stack">
            {myStep?.kind === "sign" && (
              <button type="button" class="button button-block" onClick={() => setSheet("approve")}>
                {t("actApprove")}
              </button>
            )}
            <button type="button" class="button button-block" onClick={() => setSheet("forward")}>
              {t("actForward")}
            </button>
            {canAssign && (
              <button type="button" class="button button-block" onClick={() => setSheet("assign")}>
                {t("actAssign")}
              </button>
            )}
          </div>
        </Sheet>
      )}
      {sheet === "forward" && (
        <ForwardSheet orgId={orgId} meId={me?.id} onClose={() => setSheet(null)} onSubmit={(body) => decide("forward", body)} />
      )}
      {sheet === "sign" && (
        <SignFlow
          documents={[doc]}
          onClose={() => setSheet(null)}
          onFinished={() => {
            afterDecision();
            setTick((n) => n + 1);
          }}
        />
      )}
    </article>
  );
}

function isOverdue(doc) {
  if (!doc.due_date || ["issued", "approved", "registered"].includes(doc.status)) return false;
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Ho_Chi_Minh" }).format(new Date());
  return doc.due_date < today;
}

function findMyStep(route, userId) {
  if (!route?.steps || !userId) return null;
  return (
    route.steps.find(
      (s) => s.status === "active" && (s.assignments || []).some((a) => a.user_id === userId && a.status === "waiting"),
    ) || null
  );
}

// -- pages ------------------------------------------------------------------------------

function Pages({ docId, file }) {
  const ref = useRef(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const w = ref.current?.clientWidth || document.documentElement.clientWidth || 390;
    setWidth(Math.max(200, Math.min(1600, Math.round(w))));
  }, []);
  const total = file.page_count || 1;
  const dpr = Math.round(Math.min(4, Math.max(1, window.devicePixelRatio || 1)) * 4) / 4;
  return (
    <div class="pages" ref={ref}>
      {/* the placeholders at once (A4 high): the sections below never move down */}
      {Array.from({ length: total }, (_, i) => (
        <PageImage key={i} docId={docId} fileId={file.id} n={i + 1} total={total} width={width} dpr={dpr} />
      ))}
    </div>
  );
}

function PageImage({ docId, fileId, n, total, width, dpr }) {
  const ref = useRef(null);
  const [src, setSrc] = useState("");
  const [failed, setFailed] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const [size, setSize] = useState(/** @type {[number, number]|null} */ (null));
  useEffect(() => {
    if (!width) return; // measured after the first render
    let url = "";
    let live = true;
    const fetchIt = () =>
      imageURL(E.page, [docId, fileId, n], { width, dpr })
        .then(async (u) => {
          // its size first, so the <img> takes its final height at once
          const probe = new Image();
          probe.src = u;
          await probe.decode().catch(() => {});
          if (!live) return URL.revokeObjectURL(u);
          setSize(probe.naturalWidth ? [probe.naturalWidth, probe.naturalHeight] : null);
          setSrc((url = u));
        })
        .catch(() => live && setFailed(true));
    const el = ref.current;
    let io;
    if (el && "IntersectionObserver" in window) {
      io = new IntersectionObserver(
        (entries) => {
          if (entries.some((e) => e.isIntersecting)) {
            io.disconnect();
            fetchIt();
          }
        },
        { rootMargin: "600px 0px" },
      );
      io.observe(el);
    } else fetchIt();
    return () => {
      live = false;
      io?.disconnect();
      if (url) URL.revokeObjectURL(url);
    };
  }, [docId, fileId, n, width, dpr, attempt]);
  return (
    <figure class={`page${src ? " page-loaded" : ""}`} ref={ref} data-page={n}>
      {src ? (
        <img
          src={src}
          alt={t("pageOf", { n, total })}
          width={size ? size[0] : width}
          height={size ? size[1] : undefined}
          decoding="async"
        />
      ) : failed ? (
        <div class="page-failed">
          <p>{t("pageLoadFailed", { n })}</p>
          <button type="button" class="button" onClick={() => (setFailed(false), setAttempt(attempt + 1))}>
            {t("retry")}
          </button>
        </div>
      ) : (
        <div class="page-placeholder" role="img" aria-label={t("pageOf", { n, total })}>
          {t("page", { n })}
        </div>
      )}
      <figcaption class="visually-hidden">{t("pageOf", { n, total })}</figcaption>
    </figure>
  );
}

// -- signatures ---------------------------------------------------------------------------

function Signatures({ id }) {
  const [state, setState] = useState(/** @type {any} */ ({ kind: "loading" }));
  useEffect(() => {
    load(E.signatures, [id])
      .then((r) => setState({ kind: "ok", record: r.data }))
      .catch(() => setState({ kind: "unchecked" })); // 404: not checked (yet)
  }, [id]);
  const record = state.record || {};
  const report = record.report || {};
  const list = Array.isArray(report.signatures) ? report.signatures : [];
  const en = getLang() === "en";
  const overall = (en ? report.verdict_en : report.verdict_vi) || "";
  return (
    <section aria-labelledby="sig-title">
      <h2 id="sig-title">{t("signatures")}</h2>
      {state.kind === "loading" && <Spinner />}
      {state.kind === "unchecked" && <p class="muted">{t("sigNotChecked")}</p>}
      {state.kind === "ok" && (
        <>
          {list.length === 0 ? (
            <p class="muted">{t("sigNone")}</p>
          ) : (
            <p>
              <span class={`mark ${record.ok ? "mark-ok" : "mark-overdue"}`}>{t(record.ok ? "sigValid" : "sigInvalid")}</span> {overall}
            </p>
          )}
          <ul class="plain-list">
            {list.map((sig, i) => {
              const good = sig.bottom_line ?? (sig.intact && sig.valid && sig.trusted && !sig.revoked);
              return (
                <li key={i} class="sig">
                  <span class={`mark ${good ? "mark-ok" : "mark-overdue"}`}>{t(good ? "sigValid" : "sigInvalid")}</span>{" "}
                  {sig.signer && t("sigSignedBy", { name: sig.signer })}
                  {sig.organisation && <span class="muted"> — {sig.organisation}</span>}{" "}
                  {sig.signing_time && t("sigAt", { time: fmtDateTime(sig.signing_time) })}
                  {sig.level && <span class="muted small"> · {t("sigLevel", { level: sig.level })}</span>}
                  {(en ? sig.verdict_en : sig.verdict_vi) && <p class="muted small">{en ? sig.verdict_en : sig.verdict_vi}</p>}
                </li>
              );
            })}
          </ul>
          {record.checked_at && <p class="muted small">{t("sigChecked", { time: fmtDateTime(record.checked_at) })}</p>}
        </>
      )}
    </section>
  );
}

// -- timeline -----------------------------------------------------------------------------

function Timeline({ events }) {
  if (!events.length) return <p class="muted">—</p>;
  return (
    <ol class="timeline">
      {events.map((e, i) => {
        const what =
          e.kind === "version"
            ? t("action_version", { n: e.version_number })
            : e.kind === "instruction"
              ? t("action_instruction")
              : t(`action_${e.action}`) === `action_${e.action}`
                ? e.action
                : t(`action_${e.action}`);
        return (
          <li key={i}>
            <p class="tl-when">{fmtDateTime(e.at)}</p>
            <p>
              <strong>{what}</strong>
              {e.target?.full_name && <> {t("to", { name: e.target.full_name })}</>}
              {" — "}
              {e.signing_prefix && <>{e.signing_prefix} </>}
              {e.actor?.full_name}
              {e.actor?.position_title && <span class="muted"> ({e.actor.position_title})</span>}
            </p>
            {e.text && <blockquote>{e.text}</blockquote>}
            {e.device?.name && <p class="muted small">{t("via", { device: e.device.name })}</p>}
          </li>
        );
      })}
    </ol>
  );
}

// -- decision sheets ----------------------------------------------------------------------

function TextSheet({ title, label, required, warning, phrases, submit, danger, onClose, onSubmit }) {
  const [text, setText] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [quick, setQuick] = useState(/** @type {any[]} */ ([]));
  useEffect(() => {
    if (phrases) load(E.quickPhrases).then((r) => setQuick(r.data || [])).catch(() => {});
  }, []);
  const go = async (e) => {
    e.preventDefault();
    if (required && !text.trim()) {
      setError(required);
      return;
    }
    setBusy(true);
    setError("");
    try {
      await onSubmit(text.trim());
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
    }
  };
  return (
    <Sheet title={title} onClose={onClose} labelledBy="decide-title">
      <form class="form" onSubmit={go} novalidate>
        {quick.length > 0 && (
          <div class="phrases" role="group" aria-label={t("quickPhrases")}>
            {quick.map((p) => (
              <button
                type="button"
                class="chip-button"
                key={p.id ?? p.text}
                onClick={() => setText((old) => (old.trim() ? `${old.trim()} ${p.text}` : p.text))}
              >
                {p.text}
              </button>
            ))}
          </div>
        )}
        <label for="decide-text">{label}</label>
        <textarea
          id="decide-text"
          rows={4}
          maxLength={4000}
          required={Boolean(required)}
          aria-invalid={Boolean(error)}
          aria-describedby={error ? "decide-error" : undefined}
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        {warning && <p class="help">{warning}</p>}
        {error && (
          <p class="form-error" id="decide-error" role="alert">
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

function ForwardSheet({ orgId, meId, onClose, onSubmit }) {
  const [people, setPeople] = useState(/** @type {any[]} */ ([]));
  const [to, setTo] = useState("");
  const [comment, setComment] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (orgId) {
      load(E.users, [orgId])
        .then((r) => setPeople((r.data || []).filter((u) => u.id !== meId && u.active !== false)))
        .catch((e) => setError(problemText(e)));
    }
  }, []);
  const person = people.find((p) => String(p.id) === to);
  const go = async (e) => {
    e.preventDefault();
    if (!person) return setError(t("choosePerson"));
    setBusy(true);
    try {
      await onSubmit({ to_user_id: person.id, comment: comment.trim() });
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
    }
  };
  const title = (u) => u.memberships?.[0]?.position_title;
  return (
    <Sheet title={t("forwardTitle")} onClose={onClose} labelledBy="forward-title">
      <form class="form" onSubmit={go}>
        <label for="forward-to">{t("forwardTo")}</label>
        <select id="forward-to" value={to} onChange={(e) => setTo(e.currentTarget.value)} required>
          <option value="">{t("choosePerson")}</option>
          {people.map((u) => (
            <option key={u.id} value={u.id}>
              {u.full_name}
              {title(u) ? ` — ${title(u)}` : ""}
            </option>
          ))}
        </select>
        <label for="forward-comment">{t("commentOptional")}</label>
        <textarea id="forward-comment" rows={3} maxLength={4000} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
        {person && <p class="help">{t("forwardConfirm", { name: person.full_name })}</p>}
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="button button-primary button-block" disabled={busy}>
          {t("actForward")}
        </button>
      </form>
    </Sheet>
  );
}

// -- the offline queue, for this document -------------------------------------------------

function QueueNotice({ item, doc, onChanged }) {
  const action = t(ACTION_NAME[item.action] || "actApprove");
  if (item.state === "pending") {
    return (
      <p class="notice notice-pending" role="status">
        <span class="mark mark-pending">{t("pendingSend")}</span> {t("queuedBanner", { action })}
      </p>
    );
  }
  const resend = async () => {
    try {
      const fresh = await request(E.document, [doc.id]);
      await retryItem(item.id, fresh.etag);
    } catch (err) {
      toast(problemText(err), "error");
    }
    onChanged();
  };
  return (
    <div class="notice notice-conflict" role="alert">
      <p>
        {t("conflictBanner", {
          action,
          detail: problemText({ status: item.problem?.status, code: item.problem?.code, detail: item.problem?.detail }),
        })}
      </p>
      <p class="help">{t("conflictHelp")}</p>
      <div class="row">
        <button type="button" class="button" onClick={resend}>
          {t("resend")}
        </button>
        <button type="button" class="button button-danger" onClick={() => dropItem(item.id).then(onChanged)}>
          {t("drop")}
        </button>
      </div>
    </div>
  );
}
