// Báo cáo tình hình giải quyết: for a period, the agency (or a head's units) as a tree —
// units, then their people — with the chart, every figure linking to its documents, and
// the server's CSV and Excel exports.
import { useEffect, useState } from "preact/hooks";
import { downloadFrom, load } from "../../api.js";
import { E } from "../../endpoints.js";
import { fmtDate, fmtDateTime, problemText, t } from "../../i18n.js";
import { ErrorBox, navigate, Spinner, toast } from "../../ui.jsx";
import { FiguresTable, UnitChart } from "./Chart.jsx";
import { periodOf, todayVN } from "./period.js";
import "../../strings/overview.js";
import "./overview.css";

const PRESETS = ["month", "last_month", "quarter", "year"];

export function Reports({ search }) {
  const params = new URLSearchParams(search);
  const preset = params.get("period") || (params.get("from") ? "custom" : "month");
  const range = preset === "custom" ? { from: params.get("from") || todayVN(), to: params.get("to") || todayVN() } : periodOf(preset);
  const [from, setFrom] = useState(range.from);
  const [to, setTo] = useState(range.to);
  const [units, setUnits] = useState(/** @type {any} */ (null));
  const [people, setPeople] = useState(/** @type {any[]} */ ([]));
  const [error, setError] = useState("");
  const [open, setOpen] = useState(() => new Set());
  const [exportBy, setExportBy] = useState("unit");

  useEffect(() => {
    let live = true;
    setError("");
    setUnits(null);
    const q = { from: range.from, to: range.to };
    load(E.report, [], { ...q, by: "unit" })
      .then((r) => live && setUnits(r.data))
      .catch((err) => live && setError(problemText(err)));
    load(E.report, [], { ...q, by: "person" })
      .then((r) => live && setPeople(r.data.rows))
      .catch(() => live && setPeople([]));
    return () => (live = false);
  }, [range.from, range.to]);

  const choose = (p) => navigate(p === "custom" ? `/reports?from=${from}&to=${to}` : `/reports?period=${p}`, { replace: true });
  const toggle = (id) => {
    const next = new Set(open);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setOpen(next);
  };
  const download = (kind) =>
    downloadFrom(
      kind === "csv" ? E.reportCsv : E.reportXlsx,
      [],
      { from: range.from, to: range.to, by: exportBy },
      `tinh-hinh-giai-quyet-${range.from}-${range.to}${exportBy === "person" ? "-can-bo" : ""}.${kind}`,
    ).catch((err) => toast(problemText(err), "error"));

  return (
    <section class="screen reports">
      <h1>{t("reportsTitle")}</h1>
      <div class="segmented" role="group" aria-label={t("period")}>
        {[...PRESETS, "custom"].map((p) => (
          <button key={p} type="button" class="chip-button" aria-pressed={p === preset} onClick={() => choose(p)}>
            {t(`period_${p}`)}
          </button>
        ))}
      </div>
      {preset === "custom" && (
        <form class="report-tools" onSubmit={(e) => (e.preventDefault(), choose("custom"))}>
          <div>
            <label for="r-from">{t("fromDate")}</label>
            <input id="r-from" type="date" value={from} max={to} onInput={(e) => setFrom(e.currentTarget.value)} required />
          </div>
          <div>
            <label for="r-to">{t("toDate")}</label>
            <input id="r-to" type="date" value={to} min={from} onInput={(e) => setTo(e.currentTarget.value)} required />
          </div>
          <button type="submit" class="button">
            {t("showReport")}
          </button>
        </form>
      )}
      <p class="muted">{t("chartPeriod", { from: fmtDate(range.from), to: fmtDate(range.to) })}</p>
      {error && <ErrorBox text={error} onRetry={() => choose(preset)} />}
      {!units && !error && <Spinner />}
      {units && (
        <>
          <section class="card" aria-labelledby="rep-chart">
            <h2 id="rep-chart">{t("chartTitle")}</h2>
            <UnitChart id="rep" rows={units.rows} from={range.from} to={range.to} />
          </section>
          <section class="card" aria-labelledby="rep-table">
            <h2 id="rep-table">{t("tableView")}</h2>
            <FiguresTable
              rows={units.rows}
              totals={units.totals}
              from={range.from}
              to={range.to}
              caption={t("reportsTitle")}
              people={people}
              open={open}
              onToggle={toggle}
            />
            <div class="report-tools">
              <div>
                <label for="r-export">{t("exportBy")}</label>
                <select id="r-export" value={exportBy} onChange={(e) => setExportBy(e.currentTarget.value)}>
                  <option value="unit">{t("colUnit")}</option>
                  <option value="person">{t("colPerson")}</option>
                </select>
              </div>
              <button type="button" class="button" onClick={() => download("csv")}>
                ⬇ {t("downloadCsv")}
              </button>
              <button type="button" class="button" onClick={() => download("xlsx")}>
                ⬇ {t("downloadXlsx")}
              </button>
            </div>
            <p class="muted small">{t("generatedAt", { time: fmtDateTime(units.generated_at) })}</p>
          </section>
        </>
      )}
    </section>
  );
}
