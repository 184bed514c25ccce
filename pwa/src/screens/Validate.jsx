// Kiểm tra chữ ký số: a PDF from outside is checked by the server (nothing is kept) and
// each signature is told in plain words.
import { useState } from "preact/hooks";
import { request } from "../api.js";
import { E } from "../endpoints.js";
import { getLang, problemText, t } from "../i18n.js";
import { SignatureItems } from "./DocSections.jsx";
import "../strings/personal.js";

export function Validate() {
  const [file, setFile] = useState(/** @type {File|null} */ (null));
  const [report, setReport] = useState(/** @type {any} */ (null));
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const run = async (e) => {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setError("");
    setReport(null);
    const form = new FormData();
    form.set("file", file, file.name);
    try {
      setReport({ name: file.name, ...(await request(E.validatePdf, [], { form })) });
    } catch (err) {
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  };
  const sigs = report?.signatures || [];
  const people = sigs.filter((s) => s.kind !== "document-timestamp").length;
  const en = getLang() === "en";
  return (
    <section class="screen">
      <h1>{t("validateTitle")}</h1>
      <p class="muted">{t("validateLead")}</p>
      <form class="form" onSubmit={run}>
        <label for="validate-file">{t("validateFile")}</label>
        <input id="validate-file" type="file" accept="application/pdf,.pdf" onChange={(e) => (setFile(e.currentTarget.files?.[0] || null), setReport(null))} />
        <button type="submit" class="button button-primary" disabled={!file || busy}>
          {busy ? t("validating") : t("validateRun")}
        </button>
      </form>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <div role="status" aria-live="polite">
        {report && (
          <section aria-labelledby="validate-result">
            <h2 id="validate-result">{t("validateResult", { name: report.name })}</h2>
            {sigs.length === 0 ? (
              <p class="muted">{t("sigNone")}</p>
            ) : (
              <p>
                <span class={`mark ${report.ok ? "mark-ok" : "mark-overdue"}`}>{t(report.ok ? "sigValid" : "sigInvalid")}</span>{" "}
                {report.ok ? t("sigAllValid", { n: people }) : (en ? report.verdict_en : report.verdict_vi) || ""}
              </p>
            )}
            <SignatureItems list={sigs} />
          </section>
        )}
      </div>
    </section>
  );
}
