// Vào sổ văn bản đến: the file (PDF, or photos of a paper letter), its signature check in
// plain words before anything is registered, the metadata (sender, number/symbol, date,
// type, trích yếu, urgency, deadline), attachments; then the số đến — or the duplicate
// alert with the earlier entries, or the invalid signature, each with "register anyway"
// and "refuse with a reason"; and who gets it for an instruction.
import { useEffect, useState } from "preact/hooks";
import { ApiError, load, request } from "../../api.js";
import { E } from "../../endpoints.js";
import { getLang, problemText, t } from "../../i18n.js";
import { ErrorBox, Link, navigate, Sheet, Spinner, toast } from "../../ui.jsx";
import { vnDate } from "../Assign.jsx";
import { useDocumentTypes } from "../drafting/DraftForm.jsx";
import { isPhoto, photosToPdf } from "../drafting/photopdf.js";
import { FilePicker } from "../files.jsx";
import "../../strings/clerk.js";

const URGENCIES = ["normal", "khan", "thuong_khan", "hoa_toc"];

/** A validation report in one plain sentence. */
function verdict(report) {
  const sigs = report?.signatures || [];
  if (!sigs.length) return { kind: "none", text: t("sigCheckNone") };
  if (report.ok) {
    const who = sigs.filter((s) => s.kind !== "document-timestamp").map((s) => [s.signer, s.organisation].filter(Boolean).join(", "));
    return { kind: "ok", text: t("sigCheckOk", { who: who.join("; ") }) };
  }
  const bad = sigs.find((s) => s.verdict_en !== "Valid") || sigs[0];
  return { kind: "bad", text: t("sigCheckBad", { why: (getLang() === "en" ? bad.verdict_en : bad.verdict_vi) || "" }) };
}

export function IncomingForm({ id, auth, afterDecision }) {
  const orgId = auth.user?.memberships?.[0]?.organisation_id;
  const types = useDocumentTypes();
  const [doc, setDoc] = useState(/** @type {any} */ (null));
  const [loadError, setLoadError] = useState("");
  const [files, setFiles] = useState(/** @type {File[]} */ ([]));
  const [attachments, setAttachments] = useState(/** @type {File[]} */ ([]));
  const [check, setCheck] = useState(/** @type {any} */ (null));
  const [leaders, setLeaders] = useState(/** @type {any[]} */ ([]));
  const [senders, setSenders] = useState(/** @type {any[]} */ ([]));
  const [form, setForm] = useState({
    sender_name: "",
    sender_code: "",
    number_symbol: "",
    document_date: vnDate(0),
    document_type_id: "",
    subject: "",
    urgency: "normal",
    due_date: "",
    recipients: "",
    send_to_user_id: "",
  });
  const [errors, setErrors] = useState(/** @type {Record<string,string>} */ ({}));
  const [busy, setBusy] = useState("");
  const [stop, setStop] = useState(/** @type {any} */ (null)); // a duplicate or an invalid signature
  const [refusing, setRefusing] = useState(false);

  useEffect(() => {
    load(E.users, [orgId])
      .then((r) =>
        setLeaders(
          (r.data || []).filter((u) => u.active !== false && (u.memberships || []).some((m) => m.role === "leader" || m.role === "head")),
        ),
      )
      .catch(() => {});
    load(E.organisations)
      .then((r) => setSenders(r.data || []))
      .catch(() => {});
    if (!id) return;
    load(E.document, [id])
      .then((r) => {
        const d = r.data;
        setDoc(d);
        setForm((f) => ({
          ...f,
          document_type_id: String(d.document_type?.id || ""),
          subject: d.subject,
          urgency: d.urgency,
          due_date: d.due_date || "",
        }));
        checkStored(d.id);
      })
      .catch((err) => setLoadError(problemText(err)));
  }, [id]);

  const checkStored = (docId) => {
    setCheck({ kind: "checking" });
    request(E.checkSignatures, [docId], { body: {} })
      .then((r) => setCheck(verdict(r.report)))
      .catch((err) => setCheck({ kind: "failed", text: t("sigCheckFailed", { detail: problemText(err) }) }));
  };

  const pick = async (chosen) => {
    const pdf = chosen.find((f) => !isPhoto(f));
    const next = pdf ? [pdf] : [...files.filter(isPhoto), ...chosen];
    setFiles(next);
    setStop(null);
    if (!pdf) return setCheck(next.length ? verdict({ signatures: [] }) : null);
    setCheck({ kind: "checking" });
    const data = new FormData();
    data.set("file", pdf);
    try {
      setCheck(verdict(await request(E.validatePdf, [], { form: data })));
    } catch (err) {
      setCheck({ kind: "failed", text: t("sigCheckFailed", { detail: problemText(err) }) });
    }
  };

  if (loadError) return <ErrorBox text={loadError} />;
  if (id && !doc) return <Spinner />;

  const set = (name) => (e) => setForm({ ...form, [name]: e.currentTarget.value });
  const required = () => {
    const found = {};
    if (!doc && !files.length) found.file = t("fileRequired");
    if (!form.sender_name.trim()) found.sender_name = t("senderRequired");
    if (!form.number_symbol.trim()) found.number_symbol = t("numberRequired");
    if (!form.document_date) found.document_date = t("dateRequired");
    if (!form.document_type_id) found.document_type_id = t("typeRequired");
    if (!form.subject.trim()) found.subject = t("subjectRequired");
    setErrors(found);
    const first = Object.keys(found)[0];
    if (first) document.getElementById(`in-${first}`)?.focus();
    return !first;
  };

  /** The document on the server (created now, or its metadata brought up to date). */
  const ensureDocument = async () => {
    if (!doc) {
      const file = files.length === 1 && !isPhoto(files[0]) ? files[0] : await photosToPdf(files.filter(isPhoto), "van-ban-den.pdf");
      const data = new FormData();
      data.set("direction", "incoming");
      for (const k of ["document_type_id", "subject", "urgency"]) data.set(k, form[k].trim?.() ?? form[k]);
      if (form.due_date) data.set("due_date", form.due_date);
      data.set("file", file);
      for (const a of attachments) data.append("attachments", a);
      const created = await request(E.createDocument, [], { form: data });
      setDoc(created);
      return created;
    }
    const changes = {};
    if (String(doc.document_type?.id) !== form.document_type_id) changes.document_type_id = Number(form.document_type_id);
    if (doc.subject !== form.subject.trim()) changes.subject = form.subject.trim();
    if (doc.urgency !== form.urgency) changes.urgency = form.urgency;
    if ((doc.due_date || "") !== form.due_date) changes.due_date = form.due_date || null;
    if (!Object.keys(changes).length) return doc;
    const updated = await request(E.updateDocument, [doc.id], { body: changes, ifMatch: doc.etag });
    setDoc(updated);
    return updated;
  };

  const register = async (accept = {}) => {
    if (!required()) return;
    setBusy(t("registering"));
    setStop(null);
    let current = doc;
    try {
      current = await ensureDocument();
      const r = await request(E.registerIncoming, [current.id], {
        ifMatch: current.etag,
        body: {
          sender_name: form.sender_name.trim(),
          sender_code: form.sender_code.trim(),
          number_symbol: form.number_symbol.trim(),
          document_date: form.document_date,
          recipients: form.recipients.trim(),
          send_to_user_id: form.send_to_user_id ? Number(form.send_to_user_id) : null,
          accept_duplicate: Boolean(accept.duplicate),
          accept_invalid_signature: Boolean(accept.signature),
        },
      });
      toast(t("registeredAs", { n: String(r.incoming_number).padStart(2, "0") }), "success");
      afterDecision?.();
      navigate(`/documents/${current.id}`, { replace: true });
    } catch (err) {
      setBusy("");
      if (err instanceof ApiError && err.code === "duplicate-incoming") setStop({ kind: "duplicate", err, accept });
      else if (err instanceof ApiError && err.code === "signature-invalid") setStop({ kind: "signature", err, accept });
      else {
        const fields = {};
        for (const k of Object.keys(err.errors || {})) fields[k.split(".")[0]] = problemText(err);
        setErrors({ ...fields, form: problemText(err) });
      }
    }
  };

  const refuse = async (reason) => {
    const current = doc || (await ensureDocument());
    await request(E.refuse, [current.id], { body: { reason }, ifMatch: current.etag });
    toast(t("refused"), "success");
    afterDecision?.();
    navigate("/incoming?tab=refused", { replace: true });
  };

  const err = (name) =>
    errors[name] && (
      <p class="form-error" id={`in-${name}-error`} role="alert">
        {errors[name]}
      </p>
    );
  const aria = (name) => ({ "aria-invalid": Boolean(errors[name]), "aria-describedby": errors[name] ? `in-${name}-error` : undefined });
  const mainFile = doc?.files?.find((f) => f.kind === "main");

  return (
    <section class="screen incoming-form">
      <h1>{t("registerNew")}</h1>
      <form class="form" onSubmit={(e) => (e.preventDefault(), register(stop?.accept))} novalidate>
        <fieldset class="form-part">
          <legend>{t("incomingFile")}</legend>
          {mainFile ? (
            <p>{t("currentIncomingFile", { name: mainFile.filename })}</p>
          ) : (
            <>
              <FilePicker
                id="in-file"
                label={t("incomingFile")}
                help={t("incomingFileHelp")}
                accept="application/pdf,.pdf,image/jpeg,image/png,image/webp,image/heic"
                multiple
                button={t("chooseFile")}
                files={files}
                onChange={(f) => (setFiles(f), f.length || setCheck(null))}
                onPick={pick}
              />
              {err("file")}
              <FilePicker
                id="in-attachments"
                label={t("attachments")}
                help={t("attachmentsHelp")}
                accept=".pdf,.docx,.xlsx,.pptx,.odt,.ods,.doc,.xls"
                multiple
                files={attachments}
                onChange={setAttachments}
              />
            </>
          )}
          {check && (
            <div
              class={`sig-check sig-check-${check.kind}`}
              role="status"
              aria-live="polite"
            >
              <p class="label">{t("sigCheckTitle")}</p>
              <p>{check.kind === "checking" ? t("sigChecking") : check.text}</p>
            </div>
          )}
        </fieldset>

        <label for="in-sender_name">{t("senderName")}</label>
        <input
          id="in-sender_name"
          list="in-senders"
          value={form.sender_name}
          maxLength={255}
          autocomplete="off"
          onInput={(e) => {
            const name = e.currentTarget.value;
            const known = senders.find((o) => o.name === name);
            setForm({ ...form, sender_name: name, sender_code: known ? known.code : form.sender_code });
          }}
          {...aria("sender_name")}
        />
        <datalist id="in-senders">
          {senders.map((o) => (
            <option key={o.id} value={o.name} />
          ))}
        </datalist>
        {err("sender_name")}
        <label for="in-sender_code">{t("senderCode")}</label>
        <input id="in-sender_code" value={form.sender_code} maxLength={13} onInput={set("sender_code")} {...aria("sender_code")} />
        {err("sender_code")}
        <div class="form-row">
          <div>
            <label for="in-number_symbol">{t("theirNumber")}</label>
            <input
              id="in-number_symbol"
              value={form.number_symbol}
              maxLength={60}
              placeholder={t("theirNumberHelp")}
              onInput={set("number_symbol")}
              {...aria("number_symbol")}
            />
            {err("number_symbol")}
          </div>
          <div>
            <label for="in-document_date">{t("theirDate")}</label>
            <input id="in-document_date" type="date" value={form.document_date} onInput={set("document_date")} {...aria("document_date")} />
            {err("document_date")}
          </div>
        </div>
        <label for="in-document_type_id">{t("type")}</label>
        <select id="in-document_type_id" value={form.document_type_id} onChange={set("document_type_id")} {...aria("document_type_id")}>
          <option value="">{types === null ? t("loading") : t("chooseType")}</option>
          {(types || []).map((x) => (
            <option key={x.id} value={x.id}>
              {x.name}
            </option>
          ))}
        </select>
        {err("document_type_id")}
        <label for="in-subject">{t("subject")}</label>
        <textarea id="in-subject" rows={3} maxLength={500} value={form.subject} onInput={set("subject")} {...aria("subject")} />
        {err("subject")}
        <div class="form-row">
          <div>
            <label for="in-urgency">{t("urgency")}</label>
            <select id="in-urgency" value={form.urgency} onChange={set("urgency")}>
              {URGENCIES.map((u) => (
                <option key={u} value={u}>
                  {t(`urgency_${u}`)}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="in-due_date">{t("dueOptional")}</label>
            <input id="in-due_date" type="date" value={form.due_date} onInput={set("due_date")} />
          </div>
        </div>
        <label for="in-recipients">{t("recipientsIn")}</label>
        <input id="in-recipients" value={form.recipients} maxLength={2000} onInput={set("recipients")} />
        <label for="in-send_to_user_id">{t("sendTo")}</label>
        <select id="in-send_to_user_id" value={form.send_to_user_id} onChange={set("send_to_user_id")}>
          <option value="">{t("sendToNone")}</option>
          {leaders.map((u) => (
            <option key={u.id} value={u.id}>
              {u.full_name}
              {u.memberships?.[0]?.position_title ? ` — ${u.memberships[0].position_title}` : ""}
            </option>
          ))}
        </select>

        {stop?.kind === "duplicate" && (
          <div class="notice notice-conflict" role="alert">
            <p>
              <strong>{t("duplicateTitle")}</strong>
            </p>
            <p>{t("duplicateText", { symbol: form.number_symbol })}</p>
            <ul class="plain-list">
              {(stop.err.body?.duplicates || []).map((d) => (
                <li key={d.entry_id}>
                  <Link href={`/documents/${d.document_id}`}>
                    {t("duplicateEntry", { n: String(d.number).padStart(2, "0"), symbol: d.number_symbol })}
                  </Link>
                </li>
              ))}
            </ul>
            <div class="row">
              <button type="button" class="button" onClick={() => register({ ...stop.accept, duplicate: true })}>
                {t("registerAnyway")}
              </button>
              <button type="button" class="button button-danger" onClick={() => setRefusing(true)}>
                {t("actRefuse")}
              </button>
            </div>
          </div>
        )}
        {stop?.kind === "signature" && (
          <div class="notice notice-conflict" role="alert">
            <p>
              <strong>{t("invalidSigTitle")}</strong>
            </p>
            <p>{getLang() === "en" ? stop.err.body?.verdict_en : stop.err.body?.verdict_vi}</p>
            <div class="row">
              <button type="button" class="button" onClick={() => register({ ...stop.accept, signature: true })}>
                {t("registerAnyway")}
              </button>
              <button type="button" class="button button-danger" onClick={() => setRefusing(true)}>
                {t("actRefuse")}
              </button>
            </div>
          </div>
        )}
        {errors.form && (
          <p class="form-error" role="alert">
            {errors.form}
          </p>
        )}
        {busy && (
          <p class="help" role="status">
            {busy}
          </p>
        )}
        <div class="form-actions">
          <button type="button" class="button button-danger" disabled={Boolean(busy)} onClick={() => setRefusing(true)}>
            {t("actRefuse")}
          </button>
          <button type="submit" class="button button-primary" disabled={Boolean(busy)}>
            {t("actRegisterIn")}
          </button>
        </div>
      </form>
      {refusing && <RefuseSheet onClose={() => setRefusing(false)} onRefuse={refuse} />}
    </section>
  );
}

function RefuseSheet({ onClose, onRefuse }) {
  const [reason, setReason] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const go = async (e) => {
    e.preventDefault();
    if (!reason.trim()) return setError(t("reasonRequired"));
    setBusy(true);
    try {
      await onRefuse(reason.trim());
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
    }
  };
  return (
    <Sheet title={t("refuseTitle")} onClose={onClose} labelledBy="refuse-title">
      <form class="form" onSubmit={go} novalidate>
        <label for="refuse-reason">{t("refuseReason")}</label>
        <textarea id="refuse-reason" rows={3} maxLength={2000} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        <p class="help">{t("refuseHelp")}</p>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="button button-danger button-block" disabled={busy}>
          {t("actRefuse")}
        </button>
      </form>
    </Sheet>
  );
}

