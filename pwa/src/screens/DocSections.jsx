// Parts of the document view: the signature check in plain words, and the timeline with
// a Vietnamese label for every event.
import { useEffect, useState } from "preact/hooks";
import { downloadFrom, load } from "../api.js";
import { E } from "../endpoints.js";
import { fmtDate, fmtDateTime, getLang, problemText, t } from "../i18n.js";
import { Spinner, toast } from "../ui.jsx";
import "../strings/doc.js";

/** A PAdES level or a document timestamp, in a sentence a leader understands. */
export function levelText(sig) {
  if (sig.kind === "document-timestamp" || sig.level === "document timestamp") return t("level_doc_ts");
  const key = { "B-B": "level_BB", "B-T": "level_BT", "B-LT": "level_BLT", "B-LTA": "level_BLTA" }[sig.level];
  return key ? t(key) : "";
}

/**
 * The signature check of the document's current version; checked again whenever the
 * version changes (a signature was just added).
 */
export function Signatures({ id, version }) {
  const [state, setState] = useState(/** @type {any} */ ({ kind: "loading" }));
  useEffect(() => {
    let live = true;
    setState({ kind: "loading" });
    // the current version's last check (made on first use): the key is the version
    load(E.signatures, [id])
      .then((r) => live && setState({ kind: "ok", record: r.data }))
      .catch(() => live && setState({ kind: "unchecked" })); // 404: not checked (yet)
    return () => (live = false);
  }, [id, version]);
  const record = state.record || {};
  const report = record.report || {};
  const list = Array.isArray(report.signatures) ? report.signatures : [];
  const en = getLang() === "en";
  const people = list.filter((s) => s.kind !== "document-timestamp").length;
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
              <span class={`mark ${record.ok ? "mark-ok" : "mark-overdue"}`}>{t(record.ok ? "sigValid" : "sigInvalid")}</span>{" "}
              {record.ok ? t("sigAllValid", { n: people }) : (en ? report.verdict_en : report.verdict_vi) || ""}
            </p>
          )}
          <SignatureItems list={list} />
          {record.checked_at && <p class="muted small">{t("sigChecked", { time: fmtDateTime(record.checked_at) })}</p>}
          {list.length > 0 && (
            <button
              type="button"
              class="button button-block"
              onClick={() =>
                downloadFrom(E.signatureReport, [id], undefined, `bien-ban-kiem-tra-chu-ky-${id}.pdf`).catch((err) =>
                  toast(problemText(err), "error"),
                )
              }
            >
              ⬇ {t("downloadReport")}
            </button>
          )}
        </>
      )}
    </section>
  );
}

/**
 * Each signature and document timestamp in plain words: valid or not, its kind, who and
 * when, its level, and — when it is not valid — why, with the ETSI indication under it.
 */
export function SignatureItems({ list }) {
  const en = getLang() === "en";
  return (
    <ul class="plain-list">
      {list.map((sig, i) => {
        const good = sig.bottom_line ?? (sig.intact && sig.valid && sig.trusted && !sig.revoked);
        const stamp = sig.kind === "document-timestamp";
        const level = (!en && sig.level_label_vi) || levelText(sig);
        return (
          <li key={i} class="sig">
            <span class={`mark ${good ? "mark-ok" : "mark-overdue"}`}>{t(good ? "sigValid" : "sigInvalid")}</span>{" "}
            {!en && sig.kind_label_vi && <strong>{sig.kind_label_vi}: </strong>}
            {stamp ? !sig.kind_label_vi && t("sigTimestamp") : sig.signer && t("sigSignedBy", { name: sig.signer })}
            {!stamp && sig.organisation && <span class="muted"> — {sig.organisation}</span>}{" "}
            {(sig.signing_time || (stamp && sig.timestamp?.time)) && t("sigAt", { time: fmtDateTime(sig.signing_time || sig.timestamp.time) })}
            {level && <p class="muted small">{level}</p>}
            {(en ? sig.verdict_en : sig.verdict_vi) && (
              <p class={good ? "small" : "form-error small"}>{en ? sig.verdict_en : sig.verdict_vi}</p>
            )}
            {sig.indication && !good && (
              <p class="muted small">
                {t("sigIndication")}: {[sig.indication, sig.sub_indication].filter(Boolean).join(" / ")}
              </p>
            )}
          </li>
        );
      })}
    </ul>
  );
}

/** What an event of the timeline says, in words. */
export function eventLabel(e) {
  if (e.kind === "version") return t("action_version", { n: e.version_number });
  if (e.kind === "instruction") return t("action_instruction");
  const key = `action_${e.action}`;
  return t(key) === key ? t("action_other") : t(key);
}

export function Timeline({ events }) {
  if (!events.length) return <p class="muted">—</p>;
  return (
    <ol class="timeline">
      {events.map((e, i) => {
        const reg = e.registration;
        return (
          <li key={i}>
            <p class="tl-when">{fmtDateTime(e.at)}</p>
            <p>
              <strong>{eventLabel(e)}</strong>
              {e.action === "register" && reg && <> · {t("incomingNo", { n: String(reg.number).padStart(2, "0") })}</>}
              {e.action === "issue" && reg && <> · {t("outgoingNo", { symbol: reg.number_symbol })}</>}
              {e.target?.full_name && <> {t(e.action === "register" ? "sentTo" : "to", { name: e.target.full_name })}</>}
              {" — "}
              {e.signing_prefix && <>{e.signing_prefix} </>}
              {e.actor?.full_name}
              {e.actor?.position_title && <span class="muted"> ({e.actor.position_title})</span>}
            </p>
            {e.action === "issue" && reg?.recipients && <p class="muted small">{t("recipientsWere", { list: reg.recipients })}</p>}
            {e.action === "register" && reg && (
              <p class="muted small">
                {t("fromSender", { sender: reg.sender_name, symbol: reg.number_symbol, date: fmtDate(reg.document_date) })}
              </p>
            )}
            {e.text && <blockquote>{e.text}</blockquote>}
            {e.device?.name && <p class="muted small">{t("via", { device: e.device.name })}</p>}
          </li>
        );
      })}
    </ol>
  );
}
