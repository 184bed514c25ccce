// Tổng quan: what waits for me (by urgency), my work and what I assigned, the units with
// overdue work, what was issued this month, and a bar chart per unit of this month's
// work (on time / late / in progress / overdue) with its table; a bar opens its documents.
import { useEffect, useState } from "preact/hooks";
import { load } from "../../api.js";
import { E } from "../../endpoints.js";
import { fmtDate, fmtDateTime, problemText, t } from "../../i18n.js";
import { may } from "../../roles.js";
import { ErrorBox, Link, OverdueMark, Spinner, UrgencyMark } from "../../ui.jsx";
import { FiguresTable, UnitChart } from "./Chart.jsx";
import { drillHref, periodOf } from "./period.js";
import "../../strings/overview.js";
import "./overview.css";

export function Dashboard({ counts, roles, desk, dataTick }) {
  const [board, setBoard] = useState(/** @type {any} */ (null));
  const [report, setReport] = useState(/** @type {any} */ (null));
  const [waiting, setWaiting] = useState(/** @type {any[]|null} */ (null));
  const [error, setError] = useState("");
  const [tick, setTick] = useState(0);
  const period = periodOf("month");
  const all = periodOf("all");

  useEffect(() => {
    let live = true;
    setError("");
    load(E.dashboard)
      .then((r) => live && setBoard(r.data))
      .catch((err) => live && setError(problemText(err)));
    load(E.report, [], { from: period.from, to: period.to, by: "unit" })
      .then((r) => live && setReport(r.data))
      .catch(() => live && setReport({ rows: [], forbidden: true }));
    load(E.inboxWaiting, [], { limit: 5 })
      .then((r) => live && setWaiting(r.data.items || []))
      .catch(() => live && setWaiting([]));
    return () => (live = false);
  }, [tick, dataTick]);

  if (error && !board) return <ErrorBox text={error} onRetry={() => setTick(tick + 1)} />;
  // shown once everything is there: nothing moves afterwards
  if (!board || !report || waiting === null) return <Spinner />;
  const c = counts || {};
  const tiles = [
    { key: "waitingAll", n: c.waiting, href: "/" },
    { key: "waitingUrgent", n: c.waiting_urgent, href: "/", hot: true },
    { key: "waitingOverdue", n: c.waiting_overdue, href: "/", hot: true },
    may.sign(roles) && { key: "waitingSign", n: c.waiting_sign, href: "/?tab=sign" },
    c.waiting_instruct > 0 && { key: "waitingInstruct", n: c.waiting_instruct, href: "/" },
  ].filter(Boolean);

  return (
    <section class="screen dashboard">
      <h1>{t("overviewTitle")}</h1>
      <div class="dash-grid">
        <section class="card" aria-labelledby="dash-waiting">
          <h2 id="dash-waiting">{t("waitsForMe")}</h2>
          <ul class="tiles">
            {tiles.map((x) => (
              <li key={x.key}>
                <Link href={x.href} class={`tile${x.hot && x.n > 0 ? " tile-hot" : ""}`}>
                  <span class="tile-n">{x.n ?? "—"}</span>
                  <span class="tile-label">{t(x.key)}</span>
                </Link>
              </li>
            ))}
          </ul>
          {waiting === null ? (
            <Spinner />
          ) : waiting.length === 0 ? (
            <p class="muted">{t("nothingWaits")}</p>
          ) : (
            <ul class="doc-list compact">
              {waiting.map((item) => (
                <li key={item.document.id} class={`doc-row${item.document.urgency !== "normal" ? " doc-row-urgent" : ""}`}>
                  <Link href={`/documents/${item.document.id}`} class="doc-link">
                    <span class="doc-marks">
                      <UrgencyMark urgency={item.document.urgency} />
                      <OverdueMark overdue={item.overdue} />
                    </span>
                    <span class="doc-subject">{item.document.subject}</span>
                    {item.document.due_date && <span class="doc-meta">{t("due", { date: fmtDate(item.document.due_date) })}</span>}
                  </Link>
                </li>
              ))}
            </ul>
          )}
          {c.waiting > 5 && (
            <Link href="/" class="more-link">
              {t("seeAll")} ({c.waiting})
            </Link>
          )}
        </section>

        {board && (
          <section class="card" aria-labelledby="dash-work">
            <h2 id="dash-work">{t("workCard")}</h2>
            <dl class="figures-list">
              {may.work(roles) && (
                <>
                  <div>
                    <dt>{t("workOpen")}</dt>
                    <dd>{board.mine.open + board.unit.open}</dd>
                  </div>
                  <div>
                    <dt>{t("workDueSoon")}</dt>
                    <dd>{board.mine.due_soon + board.unit.due_soon}</dd>
                  </div>
                  <div class={board.mine.overdue + board.unit.overdue ? "hot" : ""}>
                    <dt>{t("workOverdue")}</dt>
                    <dd>{board.mine.overdue + board.unit.overdue}</dd>
                  </div>
                </>
              )}
              {may.assign(roles) && (
                <>
                  <div>
                    <dt>{t("assignedByMe")}</dt>
                    <dd>{board.assigned_by_me.open}</dd>
                  </div>
                  <div class={board.assigned_by_me.late_documents ? "hot" : ""}>
                    <dt>{t("lateDocuments")}</dt>
                    <dd>{board.assigned_by_me.late_documents}</dd>
                  </div>
                </>
              )}
              {board.issued_this_month !== null && board.issued_this_month !== undefined && (
                <div>
                  <dt>{t("issuedThisMonth")}</dt>
                  <dd>
                    <Link href="/registers" aria-label={`${t("issuedN", { n: board.issued_this_month })} — ${t("openRegister")}`}>
                      {board.issued_this_month}
                    </Link>
                  </dd>
                </div>
              )}
            </dl>
            {(may.work(roles) || may.assign(roles)) && (
              <Link href="/assignments" class="more-link">
                {t("seeAll")}
              </Link>
            )}
          </section>
        )}

        {board?.late_units && (
          <section class="card" aria-labelledby="dash-late">
            <h2 id="dash-late">{t("lateUnits")}</h2>
            {board.late_units.length === 0 ? (
              <p class="muted">{t("lateUnitsNone")}</p>
            ) : (
              <ol class="late-units">
                {board.late_units.map((u) => (
                  <li key={u.unit_id}>
                    <Link href={drillHref({ unit: u.unit_id, bucket: "in_progress_overdue", from: all.from, to: all.to, name: u.unit_name })}>
                      {u.unit_name}
                    </Link>{" "}
                    <span class="mark mark-overdue">{t("overdueN", { n: u.overdue })}</span>
                  </li>
                ))}
              </ol>
            )}
          </section>
        )}
      </div>

      {report && !report.forbidden && (
        <section class="card chart-card" aria-labelledby="dash-chart">
          <h2 id="dash-chart">{t("chartTitle")}</h2>
          <p class="muted small">{t("chartPeriod", { from: fmtDate(period.from), to: fmtDate(period.to) })}</p>
          <UnitChart id="dash" rows={report.rows} from={period.from} to={period.to} />
          <details class="table-details" open={desk}>
            <summary>{t("tableView")}</summary>
            <FiguresTable rows={report.rows} totals={report.totals} from={period.from} to={period.to} caption={t("chartTitle")} />
          </details>
          <p class="muted small">{t("generatedAt", { time: fmtDateTime(report.generated_at) })}</p>
          <Link href="/reports" class="more-link">
            {t("reportsLink")}
          </Link>
        </section>
      )}
      {may.delegate(roles) && (
        <p>
          <Link href="/delegations" class="more-link">
            {t("delegateLink")}
          </Link>
        </p>
      )}
    </section>
  );
}
