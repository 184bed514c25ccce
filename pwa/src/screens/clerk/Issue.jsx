// Ban hành: the number the document will get (preview; taken only when issuing), the
// date, the signer, recipients (units of the agency and organisations of the directory,
// plus free lines), copies, a note; one confirmation; the seal signature's progress and
// its result; the issued document with its number.
import { useEffect, useState } from "preact/hooks";
import { load, request } from "../../api.js";
import { E } from "../../endpoints.js";
import { fmtDate, problemText, t } from "../../i18n.js";
import { ErrorBox, Link, Sheet, Spinner, toast } from "../../ui.jsx";
import { Signatures } from "../DocSections.jsx";
import "../../strings/clerk.js";

/** The "Nơi nhận" block as Nghị định 30 prints it: one "- name;" per line. */
export function recipientsText(names, free) {
  const lines = [...names.map((n) => `- ${n};`), ...free.split("\n").map((l) => l.trim()).filter(Boolean)];
  return lines.join("\n");
}

export function IssueScreen({ id, auth, afterDecision }) {
  const orgId = auth.user?.memberships?.[0]?.organisation_id;
  const [doc, setDoc] = useState(/** @type {any} */ (null));
  const [preview, setPreview] = useState(/** @type {any} */ (null));
  const [units, setUnits] = useState(/** @type {any[]} */ ([]));
  const [orgs, setOrgs] = useState(/** @type {any[]} */ ([]));
  const [chosen, setChosen] = useState(/** @type {Set<string>} */ (new Set()));
  const [free, setFree] = useState("");
  const [copies, setCopies] = useState("");
  const [note, setNote] = useState("");
  const [error, setError] = useState("");
  const [phase, setPhase] = useState("form"); // form | confirm | issuing | issued
  const [issued, setIssued] = useState(/** @type {any} */ (null));

  useEffect(() => {
    let live = true;
    Promise.all([load(E.document, [id]), request(E.issuePreview, [id])])
      .then(([d, p]) => {
        if (!live) return;
        setDoc(d.data);
        setPreview(p);
        setFree(`- Lưu: VT${d.data.unit?.abbreviation ? `, ${d.data.unit.abbreviation}` : ""}.`);
      })
      .catch((err) => live && setError(problemText(err)));
    load(E.units, [orgId])
      .then((r) => live && setUnits(r.data || []))
      .catch(() => {});
    load(E.organisations)
      .then((r) => live && setOrgs(r.data || []))
      .catch(() => {});
    return () => (live = false);
  }, [id]);

  if (error && !doc) return <ErrorBox text={error} />;
  if (!doc || !preview) return <Spinner />;

  const toggle = (name) => {
    const next = new Set(chosen);
    if (next.has(name)) next.delete(name);
    else next.add(name);
    setChosen(next);
  };
  const recipients = recipientsText([...chosen], free);

  const issue = async () => {
    setPhase("issuing");
    setError("");
    try {
      const result = await request(E.issue, [id], {
        ifMatch: doc.etag,
        body: { recipients, copies: copies ? Number(copies) : null, note: note.trim() },
      });
      setIssued(result);
      setPhase("issued");
      toast(t("issuedAs", { symbol: result.number_symbol, date: fmtDate(result.issued_at) }), "success");
      afterDecision?.();
    } catch (err) {
      setPhase("form");
      const known = problemText(err);
      setError(err.status === 409 && err.detail && known === t("errConflict") ? t("errIssueRefused", { detail: err.detail }) : known);
    }
  };

  if (phase === "issued" && issued) {
    return (
      <section class="screen issue-done">
        <h1>{t("issueTitle")}</h1>
        <p class="success" role="status">
          {t("issuedAs", { symbol: issued.number_symbol, date: fmtDate(issued.issued_at) })}
        </p>
        <h2 class="doc-title">{issued.subject}</h2>
        <p class="muted">{t("issuedCheck")}</p>
        <Signatures id={id} version={issued.current_version} />
        <div class="form-actions">
          <Link href="/registers" class="button">
            {t("toRegister")}
          </Link>
          <Link href={`/documents/${id}`} class="button button-primary">
            {t("openDocument")}
          </Link>
        </div>
      </section>
    );
  }

  return (
    <section class="screen issue">
      <h1>{t("issueTitle")}</h1>
      <p class="doc-subject">{doc.subject}</p>
      <dl class="meta">
        <dt>{t("willGet")}</dt>
        <dd>
          <strong class="number-preview">{preview.number_symbol}</strong>
          {preview.series === "secret" && <span class="mark mark-urgent">{t("seriesSecret")}</span>}
          <p class="help">{t("willGetHelp")}</p>
        </dd>
        <dt>{t("issueDate")}</dt>
        <dd>{fmtDate(preview.date)}</dd>
        <dt>{t("signerLine")}</dt>
        <dd>{preview.signer_name || "—"}</dd>
        <dt>{t("sealLine")}</dt>
        <dd>{preview.seal ? t("sealYes") : t("sealNo")}</dd>
      </dl>
      <form class="form" onSubmit={(e) => (e.preventDefault(), setPhase("confirm"))} novalidate>
        <fieldset class="form-part">
          <legend>{t("recipientsOut")}</legend>
          {units.length > 0 && (
            <fieldset>
              <legend class="sublegend">{t("internalUnits")}</legend>
              {units.map((u) => (
                <label key={u.id} class="check">
                  <input type="checkbox" checked={chosen.has(u.name)} onChange={() => toggle(u.name)} />
                  <span>{u.name}</span>
                </label>
              ))}
            </fieldset>
          )}
          {orgs.filter((o) => o.id !== doc.organisation_id).length > 0 && (
            <fieldset>
              <legend class="sublegend">{t("directory")}</legend>
              {orgs
                .filter((o) => o.id !== doc.organisation_id)
                .map((o) => (
                  <label key={o.id} class="check">
                    <input type="checkbox" checked={chosen.has(o.name)} onChange={() => toggle(o.name)} />
                    <span>{o.name}</span>
                  </label>
                ))}
            </fieldset>
          )}
          <label for="issue-free">{t("recipientsFree")}</label>
          <textarea id="issue-free" rows={3} maxLength={3000} value={free} onInput={(e) => setFree(e.currentTarget.value)} />
        </fieldset>
        <div class="form-row">
          <div>
            <label for="issue-copies">{t("copies")}</label>
            <input id="issue-copies" type="number" inputMode="numeric" min={1} value={copies} onInput={(e) => setCopies(e.currentTarget.value)} />
          </div>
        </div>
        <label for="issue-note">{t("issueNote")}</label>
        <textarea id="issue-note" rows={2} maxLength={2000} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        {phase === "issuing" && (
          <p class="help" role="status">
            <progress aria-label={t("issuing")} /> {t("issuing")}
          </p>
        )}
        <button type="submit" class="button button-primary button-block" disabled={phase === "issuing"}>
          {t("actIssueNow")}
        </button>
      </form>
      {phase === "confirm" && (
        <Sheet title={t("issueConfirmTitle")} onClose={() => setPhase("form")} labelledBy="issue-confirm-title">
          <p>
            {t("issueConfirm", {
              symbol: preview.number_symbol,
              date: fmtDate(preview.date),
              seal: preview.seal ? t("issueConfirmSeal") : "",
            })}
          </p>
          {recipients && <pre class="recipients-preview">{recipients}</pre>}
          <div class="stack">
            <button type="button" class="button button-primary button-block" onClick={issue}>
              {t("actIssueNow")}
            </button>
            <button type="button" class="button button-block" onClick={() => setPhase("form")}>
              {t("cancel")}
            </button>
          </div>
        </Sheet>
      )}
    </section>
  );
}
