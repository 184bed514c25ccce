// A new draft (POST /api/documents, multipart) or an edit of mine (PATCH with If-Match,
// and a new version of the files): type, trích yếu, urgency, secrecy, deadline, drafting
// unit, the main file (a PDF, or photos of the pages joined into one), attachments.
import { useEffect, useState } from "preact/hooks";
import { load, request } from "../../api.js";
import { E } from "../../endpoints.js";
import { problemText, t } from "../../i18n.js";
import { ErrorBox, navigate, Spinner, toast } from "../../ui.jsx";
import { FilePicker } from "../files.jsx";
import { isPhoto, photosToPdf } from "./photopdf.js";
import "../../strings/draft.js";

const URGENCIES = ["normal", "khan", "thuong_khan", "hoa_toc"];
const SECRECIES = ["normal", "mat", "toi_mat", "tuyet_mat"];
const DRAFTING = new Set(["specialist", "head", "leader", "clerk"]);

/** The document types one drafts (not the copy types). */
export function useDocumentTypes() {
  const [types, setTypes] = useState(/** @type {any[]|null} */ (null));
  useEffect(() => {
    load(E.documentTypes)
      .then((r) => setTypes((r.data || []).filter((x) => !x.is_copy)))
      .catch(() => setTypes([]));
  }, []);
  return types;
}

/** A PDF replaces what was chosen; photos add pages to the photos chosen before. */
export function pickMain(before, chosen) {
  const pdf = chosen.find((f) => !isPhoto(f));
  if (pdf) return [pdf];
  return [...before.filter(isPhoto), ...chosen];
}

/** The main file as the API wants it: a PDF, or the photos joined into one. */
export async function mainPdf(files) {
  if (files.length === 1 && !isPhoto(files[0])) return files[0];
  const photos = files.filter(isPhoto);
  return photosToPdf(photos);
}

export function DraftForm({ id, auth, search, afterDecision }) {
  const editing = Boolean(id);
  const revise = new URLSearchParams(search).get("revise") === "1";
  const me = auth.user;
  const myUnits = (me?.memberships || []).filter((m) => DRAFTING.has(m.role) && m.unit_id);
  const types = useDocumentTypes();
  const [doc, setDoc] = useState(/** @type {any} */ (null));
  const [loadError, setLoadError] = useState("");
  const [form, setForm] = useState({
    document_type_id: "",
    subject: "",
    urgency: "normal",
    secrecy: "normal",
    due_date: "",
    unit_id: myUnits[0]?.unit_id ? String(myUnits[0].unit_id) : "",
    note: "",
  });
  const [main, setMain] = useState(/** @type {File[]} */ ([]));
  const [attachments, setAttachments] = useState(/** @type {File[]} */ ([]));
  const [errors, setErrors] = useState(/** @type {Record<string,string>} */ ({}));
  const [busy, setBusy] = useState("");

  useEffect(() => {
    if (!editing) return;
    load(E.document, [id])
      .then((r) => {
        const d = r.data;
        setDoc(d);
        setForm((f) => ({
          ...f,
          document_type_id: String(d.document_type?.id || ""),
          subject: d.subject,
          urgency: d.urgency,
          secrecy: d.secrecy,
          due_date: d.due_date || "",
          unit_id: d.unit_id ? String(d.unit_id) : "",
        }));
      })
      .catch((err) => setLoadError(problemText(err)));
  }, [id]);

  if (loadError) return <ErrorBox text={loadError} />;
  if (editing && !doc) return <Spinner />;

  const set = (name) => (e) => setForm({ ...form, [name]: e.currentTarget.value });
  const photos = main.filter(isPhoto);

  const check = (needFile) => {
    const found = {};
    if (!form.document_type_id) found.document_type_id = t("typeRequired");
    if (!form.subject.trim()) found.subject = t("subjectRequired");
    if (needFile && !main.length) found.file = t("fileRequired");
    setErrors(found);
    if (Object.keys(found).length) {
      document.getElementById(`draft-${Object.keys(found)[0]}`)?.focus();
      return false;
    }
    return true;
  };

  const fieldErrors = (err) => {
    const found = {};
    for (const [k, v] of Object.entries(err.errors || {})) found[k.split(".")[0]] = problemText({ ...err, errors: { [k]: v } });
    setErrors({ ...found, form: problemText(err) });
  };

  const create = async (e) => {
    e.preventDefault();
    if (!check(true)) return;
    try {
      setBusy(photos.length ? t("converting") : t("saving"));
      const file = await mainPdf(main);
      setBusy(t("uploading", { name: file.name }));
      const data = new FormData();
      for (const k of ["document_type_id", "subject", "urgency", "secrecy", "note"]) data.set(k, form[k].trim?.() ?? form[k]);
      if (form.due_date) data.set("due_date", form.due_date);
      if (form.unit_id) data.set("unit_id", form.unit_id);
      data.set("file", file);
      for (const a of attachments) data.append("attachments", a);
      const created = await request(E.createDocument, [], { form: data });
      toast(t("draftSaved"), "success");
      navigate(`/documents/${created.id}/route`, { replace: true });
    } catch (err) {
      fieldErrors(err);
      setBusy("");
    }
  };

  const save = async (e) => {
    e.preventDefault();
    if (!check(false)) return;
    const changes = {};
    if (String(doc.document_type?.id) !== form.document_type_id) changes.document_type_id = Number(form.document_type_id);
    if (doc.subject !== form.subject.trim()) changes.subject = form.subject.trim();
    if (doc.urgency !== form.urgency) changes.urgency = form.urgency;
    if (doc.secrecy !== form.secrecy) changes.secrecy = form.secrecy;
    if ((doc.due_date || "") !== form.due_date) changes.due_date = form.due_date || null;
    if (form.unit_id && String(doc.unit_id) !== form.unit_id) changes.unit_id = Number(form.unit_id);
    let etag = doc.etag;
    try {
      setBusy(t("saving"));
      if (Object.keys(changes).length) {
        const updated = await request(E.updateDocument, [id], { body: changes, ifMatch: etag });
        etag = updated.etag;
        setDoc(updated);
      }
      if (main.length) {
        const file = await mainPdf(main);
        setBusy(t("uploading", { name: file.name }));
        const data = new FormData();
        data.set("file", file);
        for (const a of attachments) data.append("attachments", a);
        if (form.note.trim()) data.set("note", form.note.trim());
        const version = await request(E.addVersion, [id], { form: data, ifMatch: etag });
        toast(t("versionUploaded", { n: version.number }), "success");
      } else toast(t("changesSaved"), "success");
      navigate(`/documents/${id}`, { replace: true });
    } catch (err) {
      fieldErrors(err);
      setBusy("");
    }
  };

  const err = (name) =>
    errors[name] && (
      <p class="form-error" id={`draft-${name}-error`} role="alert">
        {errors[name]}
      </p>
    );
  const described = (name) => (errors[name] ? `draft-${name}-error` : undefined);
  const mainFile = doc?.files?.find((f) => f.kind === "main");

  const filesPart = (
    <fieldset class="form-part">
      <legend>{editing ? t("newVersionTitle") : t("filesPart")}</legend>
      {editing && mainFile && <p class="help">{t("currentFile", { name: mainFile.filename, n: doc.current_version })}</p>}
      {editing && <p class="help">{t("newVersionHelp")}</p>}
      <FilePicker
        id="draft-file"
        label={t("mainFile")}
        help={t("mainFileHelp")}
        accept="application/pdf,.pdf,image/jpeg,image/png,image/webp,image/heic"
        multiple
        button={t("chooseFile")}
        files={main}
        onChange={setMain}
        onPick={(chosen) => setMain(pickMain(main, chosen))}
      />
      {photos.length > 0 && <p class="help">{t("photosToPdf", { n: photos.length })}</p>}
      {err("file")}
      <FilePicker
        id="draft-attachments"
        label={t("attachments")}
        help={t("attachmentsHelp")}
        accept=".pdf,.docx,.xlsx,.pptx,.odt,.ods,.doc,.xls"
        multiple
        files={attachments}
        onChange={setAttachments}
      />
      {err("attachments")}
      {editing && (
        <>
          <label for="draft-note">{t("noteOptional")}</label>
          <textarea id="draft-note" rows={2} maxLength={2000} value={form.note} onInput={set("note")} />
        </>
      )}
    </fieldset>
  );

  return (
    <section class="screen draft-form">
      <h1>{editing ? (revise ? t("uploadRevised") : t("editDraftTitle")) : t("newDraftTitle")}</h1>
      <form class="form" onSubmit={editing ? save : create} novalidate>
        {editing && revise && filesPart}
        <label for="draft-document_type_id">{t("type")}</label>
        <select
          id="draft-document_type_id"
          value={form.document_type_id}
          onChange={set("document_type_id")}
          aria-invalid={Boolean(errors.document_type_id)}
          aria-describedby={described("document_type_id")}
          required
        >
          <option value="">{types === null ? t("loading") : t("chooseType")}</option>
          {(types || []).map((x) => (
            <option key={x.id} value={x.id}>
              {x.name}
            </option>
          ))}
        </select>
        {err("document_type_id")}
        <label for="draft-subject">{t("subject")}</label>
        <textarea
          id="draft-subject"
          rows={3}
          maxLength={500}
          placeholder={t("subjectHelp")}
          value={form.subject}
          onInput={set("subject")}
          aria-invalid={Boolean(errors.subject)}
          aria-describedby={described("subject")}
          required
        />
        {err("subject")}
        <div class="form-row">
          <div>
            <label for="draft-urgency">{t("urgency")}</label>
            <select id="draft-urgency" value={form.urgency} onChange={set("urgency")}>
              {URGENCIES.map((u) => (
                <option key={u} value={u}>
                  {t(`urgency_${u}`)}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="draft-secrecy">{t("secrecy")}</label>
            <select id="draft-secrecy" value={form.secrecy} onChange={set("secrecy")}>
              {SECRECIES.map((x) => (
                <option key={x} value={x}>
                  {t(`secrecy_${x}`)}
                </option>
              ))}
            </select>
          </div>
        </div>
        <label for="draft-due_date">{t("dueOptional")}</label>
        <input id="draft-due_date" type="date" value={form.due_date} onInput={set("due_date")} />
        {err("due_date")}
        {myUnits.length > 1 ? (
          <>
            <label for="draft-unit_id">{t("draftingUnit")}</label>
            <select id="draft-unit_id" value={form.unit_id} onChange={set("unit_id")}>
              {myUnits.map((m) => (
                <option key={m.unit_id} value={m.unit_id}>
                  {m.unit_name}
                </option>
              ))}
            </select>
            {err("unit_id")}
          </>
        ) : (
          myUnits[0] && (
            <p class="help">
              {t("draftingUnit")}: <strong>{myUnits[0].unit_name}</strong>
            </p>
          )
        )}
        {!(editing && revise) && filesPart}
        {!editing && (
          <>
            <label for="draft-note">{t("noteOptional")}</label>
            <textarea id="draft-note" rows={2} maxLength={2000} value={form.note} onInput={set("note")} />
          </>
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
        <button type="submit" class="button button-primary button-block" disabled={Boolean(busy)}>
          {editing ? (main.length ? t("uploadVersion") : t("save")) : t("saveDraft")}
        </button>
        {!editing && <p class="help center">{t("nextRoute")}</p>}
      </form>
    </section>
  );
}
