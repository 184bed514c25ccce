// The drill-down of a figure: the assignments behind it and their documents (a document
// the reader may not open shows its number only). The buckets switch in place.
import { E } from "../../endpoints.js";
import { fmtDate, fmtDateTime, t } from "../../i18n.js";
import { ErrorBox, Link, navigate, Spinner } from "../../ui.jsx";
import { usePaged } from "../paged.js";
import { BUCKETS, drillHref } from "./period.js";
import "../../strings/overview.js";
import "./overview.css";

export function ReportDocuments({ search, selected }) {
  const p = new URLSearchParams(search);
  const bucket = p.get("bucket") || "received";
  const args = {
    unit: p.get("unit") || "",
    user: p.get("user") || "",
    from: p.get("from") || "",
    to: p.get("to") || "",
    name: p.get("name") || "",
  };
  const list = usePaged(
    E.reportDocuments,
    [],
    {
      bucket,
      unit_id: args.unit || undefined,
      user_id: args.user || undefined,
      from: args.from || undefined,
      to: args.to || undefined,
      limit: 30,
    },
    [search],
  );
  return (
    <section class="screen">
      <h1>{t("drillTitle", { what: t(`bucket_${bucket}`) })}</h1>
      <p class="drill-head muted">
        {args.name && t(args.user ? "drillPerson" : "drillUnit", { name: args.name })}
        {args.from && <> · {t("chartPeriod", { from: fmtDate(args.from), to: fmtDate(args.to) })}</>}
      </p>
      <div class="segmented" role="group" aria-label={t("filters")}>
        {["received", ...BUCKETS].map((b) => (
          <button
            key={b}
            type="button"
            class="chip-button"
            aria-pressed={b === bucket}
            onClick={() => navigate(drillHref({ ...args, bucket: b }), { replace: true })}
          >
            {b === "received" ? t("filterAll") : t(`short_${b}`)}
          </button>
        ))}
      </div>
      <div aria-busy={list.loading}>
        <ul class="doc-list">
          {list.items.map((a) => {
            const d = a.document;
            const open = d && selected === d.id;
            const body = (
              <>
                <span class="doc-marks">
                  <span class="mark mark-status">{t(`role_${a.role}`)}</span>
                  {a.timeliness === "late" && <span class="mark mark-overdue">{t("overdue")}</span>}
                </span>
                <span class="doc-subject">{d ? d.subject : t("drillHidden", { id: a.document_id })}</span>
                <span class="doc-meta">
                  {[d?.number_symbol, a.unit_name, a.assignee?.full_name].filter(Boolean).join(" · ")}
                </span>
                <span class="doc-meta">
                  {a.deadline && t("deadlineOn", { date: fmtDate(a.deadline) })}
                  {a.completed_at && <> · {t("completedOn", { time: fmtDateTime(a.completed_at) })}</>}
                </span>
              </>
            );
            return (
              <li key={a.assignment_id} class={`doc-row${open ? " doc-row-open" : ""}`}>
                {d ? (
                  <Link href={`/documents/${d.id}`} class="doc-link" aria-current={open ? "page" : undefined}>
                    {body}
                  </Link>
                ) : (
                  <div class="doc-link">{body}</div>
                )}
              </li>
            );
          })}
        </ul>
        {list.loading && <Spinner />}
        {list.error && <ErrorBox text={list.error} onRetry={list.reload} />}
        {!list.loading && !list.error && list.items.length === 0 && <p class="empty">{t("drillNone")}</p>}
        {!list.loading && list.cursor && (
          <button type="button" class="button button-block" onClick={list.more}>
            {t("loadMore")}
          </button>
        )}
      </div>
    </section>
  );
}
