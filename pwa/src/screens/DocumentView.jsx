// One document: metadata first, then the pages as images, attachments, processing,
// signatures, the timeline, and — when it waits for me — the decision bar at the bottom
// (one hand). What the bar offers depends on the step (review, consult, sign, issue), on
// an incoming document sent to me for an instruction, and on my being its drafter.
import { useEffect, useState } from "preact/hooks";
import { ApiError, downloadFile, load, newKey, request } from "../api.js";
import { E } from "../endpoints.js";
import { addProblemCodes, fmtDate, fmtDateTime, getLang, problemText, t } from "../i18n.js";
import { enqueue, QUEUEABLE } from "../queue.js";
import { waitingSteps } from "../store.js";
import { ErrorBox, Icon, navigate, OverdueMark, Sheet, Spinner, toast, UrgencyMark } from "../ui.jsx";
import { ASSIGNABLE, AssignSheet, mayAssign, Processing } from "./Assign.jsx";
import { ForwardSheet, QueueNotice, TextSheet } from "./Decide.jsx";
import { Signatures, Timeline } from "./DocSections.jsx";
import { Pages } from "./Pages.jsx";
import { SignFlow } from "./Sign.jsx";
import "../strings/doc.js";

addProblemCodes({
  "already-acted": "errAlreadyActed",
  "route-missing": "errRouteMissing",
  "route-actor-missing": "errRouteActorMissing",
  "signature-required": "errSignatureRequired",
  "not-your-step": "errNotYourStep",
});

const DONE_TEXT = {
  approve: "doneApprove",
  return: "doneReturn",
  instruction: "doneInstruction",
  forward: "doneForward",
  reply: "doneReply",
  submit: "doneSubmit",
  withdraw: "doneWithdraw",
};
const ENDPOINT = {
  approve: E.approve,
  return: E.return,
  forward: E.forward,
  instruction: E.instruction,
  reply: E.reply,
  submit: E.submit,
  withdraw: E.withdraw,
};

export function DocumentView({ id, auth, queue, afterDecision }) {
  const [doc, setDoc] = useState(/** @type {any} */ (null));
  const [cachedAt, setCachedAt] = useState(0);
  const [error, setError] = useState("");
  const [route, setRoute] = useState(/** @type {any} */ (undefined));
  const [timeline, setTimeline] = useState(/** @type {any[]|null} */ (null));
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
  // shown once what the first screen shows is there (the sender comes from the timeline,
  // the decision bar from the route): nothing moves afterwards
  const ready = doc && route !== undefined && timeline !== null;
  if (!ready) return <Spinner />;

  const incoming = doc.direction === "incoming";
  const myStep = findMyStep(route, me?.id) || (doc.status === "in_review" ? waitingSteps.get(id)?.step : null);
  const mine = queue.filter((x) => x.documentId === id);
  const pending = mine.filter((x) => x.state === "pending");
  const acting = ["in_review", "signed"].includes(doc.status);
  const canDecide = Boolean(myStep) && acting && pending.length === 0;
  // a Word draft has no main PDF while the server converts it (doc.conversion)
  const mainFile = doc.files?.find((f) => f.kind === "main") || (doc.conversion ? null : doc.files?.[0]);
  const converting = !mainFile && ["pending", "running"].includes(doc.conversion?.state);
  const attachments = (doc.files || []).filter((f) => f !== mainFile);
  const drafter = timeline?.find((e) => e.kind === "version")?.actor || doc.created_by;
  const iDrafted = (doc.participants || []).some((p) => p.user_id === me?.id && p.role === "drafter");
  const registration = timeline?.find((e) => e.action === "register")?.registration;
  const registeredAt = timeline?.find((e) => e.action === "register")?.at;
  const lastReturn = [...(timeline || [])].reverse().find((e) => e.action === "return");
  const sentToMe = incoming && doc.status === "registered" && (doc.participants || []).some((p) => p.user_id === me?.id && p.role === "recipient");
  const canAssign = assignable && Boolean(assigned) && !assigned.assignments?.length && mayAssign(me, doc);
  const drafterBar = iDrafted && !incoming && ["draft", "returned", "in_review"].includes(doc.status) && !canDecide;
  const clerkRegister = iDrafted && incoming && doc.status === "draft";
  const hasRoute = Boolean(route?.steps?.length);

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
      await request(ENDPOINT[action], [id], {
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
    if (["instruction", "submit", "withdraw"].includes(action)) setTick((n) => n + 1);
    else navigate("/");
  };

  const bar = canDecide || canAssign || sentToMe || drafterBar || clerkRegister;
  return (
    <article class={`document${bar ? " with-action-bar" : ""}`}>
      {cachedAt > 0 && (
        <p class="notice" role="status">
          {t("offlineBanner")} {t("savedAt", { time: fmtDateTime(new Date(cachedAt).toISOString()) })}
        </p>
      )}
      {mine.map((item) => (
        <QueueNotice key={item.id} item={item} doc={doc} onChanged={() => setTick((n) => n + 1)} />
      ))}
      {iDrafted && doc.status === "returned" && lastReturn && (
        <div class="notice notice-conflict returned-banner" role="alert">
          <p>
            <strong>{t("returnedBy", { name: lastReturn.actor?.full_name || "", time: fmtDateTime(lastReturn.at) })}</strong>
          </p>
          <blockquote>{lastReturn.text}</blockquote>
          <p class="help">{t("returnedHelp")}</p>
        </div>
      )}

      {canDecide && waitingSteps.get(id)?.on_behalf_of?.full_name && (
        <p class="notice notice-acting" role="note">
          {t("actingFor", { name: waitingSteps.get(id).on_behalf_of.full_name })}
        </p>
      )}
      <header class="doc-head">
        <div class="doc-marks">
          <UrgencyMark urgency={doc.urgency} />
          <OverdueMark overdue={isOverdue(doc)} />
          {doc.secrecy && doc.secrecy !== "normal" && <span class="mark mark-urgent">{t(`secrecy_${doc.secrecy}`)}</span>}
          {doc.status && <span class="mark mark-status">{t(`status_${doc.status}`)}</span>}
        </div>
        <h1 class="doc-title">{doc.subject}</h1>
      </header>

      <dl class="meta">
        <dt>{t("type")}</dt>
        <dd>{doc.document_type?.name || "—"}</dd>
        {incoming ? (
          <>
            <dt>{t("senderAgency")}</dt>
            <dd>{registration?.sender_name || "—"}</dd>
            <dt>{t("numberSymbol")}</dt>
            <dd>{doc.number_symbol || "—"}</dd>
            {registration?.document_date && (
              <>
                <dt>{t("documentDate")}</dt>
                <dd>{fmtDate(registration.document_date)}</dd>
              </>
            )}
            <dt>{t("incomingNumber")}</dt>
            <dd>
              {registration ? (
                <>
                  {String(registration.number).padStart(2, "0")}
                  {registeredAt && <span class="muted"> · {fmtDateTime(registeredAt)}</span>}
                </>
              ) : (
                <span class="muted">{t("notRegistered")}</span>
              )}
            </dd>
          </>
        ) : (
          <>
            <dt>{t("numberSymbol")}</dt>
            <dd>{doc.number_symbol || <span class="muted">{t("notNumbered")}</span>}</dd>
            <dt>{t("draftingUnit")}</dt>
            <dd>{doc.unit?.name || "—"}</dd>
            <dt>{t("drafter")}</dt>
            <dd>
              {drafter?.full_name || "—"}
              {drafter?.position_title && <span class="muted"> ({drafter.position_title})</span>}
            </dd>
          </>
        )}
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
                  <Icon name="clip" size={20} /> {f.filename} <span class="muted">({Math.ceil((f.size || 0) / 1024)} KB)</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}

      <Processing data={assigned} />

      <Signatures id={id} version={doc.current_version} />

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
          ) : myStep.kind === "consult" ? (
            <button type="button" class="button button-primary" onClick={() => setSheet("reply")}>
              {t("actReply")}
            </button>
          ) : myStep.kind === "issue" ? (
            <button type="button" class="button button-primary" onClick={() => navigate(`/documents/${id}/issue`)}>
              {t("actIssue")}
            </button>
          ) : (
            <button type="button" class="button button-primary" onClick={() => setSheet("approve")}>
              {t("actApprove")}
            </button>
          )}
          {myStep.kind !== "consult" && (
            <button type="button" class="button" onClick={() => setSheet("return")}>
              {t("actReturn")}
            </button>
          )}
          {myStep.kind !== "issue" && (
            <button type="button" class="button" onClick={() => setSheet("instruction")}>
              {t("actInstruction")}
            </button>
          )}
          <button type="button" class="button" onClick={() => setSheet("more")} aria-haspopup="dialog">
            {t("actMore")}
          </button>
        </div>
      )}
      {!canDecide && (sentToMe || canAssign) && (
        <div class="action-bar" role="toolbar" aria-label={t("documentTitle")}>
          {sentToMe && (
            <button type="button" class={`button${canAssign ? "" : " button-primary"}`} onClick={() => setSheet("instruction")}>
              {t("actInstruction")}
            </button>
          )}
          {canAssign && (
            <button type="button" class="button button-primary" onClick={() => setSheet("assign")}>
              {t("actAssign")}
            </button>
          )}
        </div>
      )}
      {drafterBar && (
        <div class="action-bar" role="toolbar" aria-label={t("documentTitle")}>
          {doc.status === "in_review" ? (
            <button type="button" class="button" onClick={() => setSheet("withdraw")}>
              {t("actWithdraw")}
            </button>
          ) : (
            <>
              {doc.status === "returned" ? (
                <button type="button" class="button button-primary" onClick={() => navigate(`/documents/${id}/edit?revise=1`)}>
                  {t("uploadRevised")}
                </button>
              ) : (
                <button
                  type="button"
                  class="button button-primary"
                  onClick={() => (hasRoute ? setSheet("submit") : navigate(`/documents/${id}/route`))}
                >
                  {hasRoute ? t("actSubmit") : t("actRoute")}
                </button>
              )}
              {doc.status === "returned" ? (
                <button type="button" class="button" onClick={() => setSheet("submit")}>
                  {t("resubmit")}
                </button>
              ) : (
                <>
                  {hasRoute && (
                    <button type="button" class="button" onClick={() => navigate(`/documents/${id}/route`)}>
                      {t("actRoute")}
                    </button>
                  )}
                  <button type="button" class="button" onClick={() => navigate(`/documents/${id}/edit`)}>
                    {t("actEdit")}
                  </button>
                </>
              )}
            </>
          )}
        </div>
      )}
      {clerkRegister && (
        <div class="action-bar" role="toolbar" aria-label={t("documentTitle")}>
          <button type="button" class="button button-primary" onClick={() => navigate(`/documents/${id}/register`)}>
            {t("actRegister")}
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
      {sheet === "reply" && (
        <TextSheet
          title={t("replyTitle")}
          label={t("replyText")}
          required={t("textRequired")}
          submit={t("send")}
          onClose={() => setSheet(null)}
          onSubmit={(text) => decide("reply", { comment: text })}
        />
      )}
      {sheet === "submit" && (
        <TextSheet
          title={doc.status === "returned" ? t("resubmitTitle") : t("submitTitle")}
          label={t("commentOptional")}
          warning={t("submitHelp", { steps: (route?.steps || []).map((s) => s.label).join(" → ") })}
          submit={doc.status === "returned" ? t("resubmit") : t("actSubmit")}
          onClose={() => setSheet(null)}
          onSubmit={(text) => decide("submit", { comment: text })}
        />
      )}
      {sheet === "withdraw" && (
        <TextSheet
          title={t("withdrawTitle")}
          label={t("commentOptional")}
          warning={t("withdrawHelp")}
          submit={t("actWithdraw")}
          danger
          onClose={() => setSheet(null)}
          onSubmit={(text) => decide("withdraw", { comment: text })}
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
            {myStep?.kind === "issue" && (
              <button type="button" class="button button-block" onClick={() => setSheet("instruction")}>
                {t("actInstruction")}
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
  if (!doc.due_date || ["issued", "approved", "registered", "refused"].includes(doc.status)) return false;
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
