// Sổ văn bản đi / đến for a year, with the legal columns; the secret series only for
// those allowed (the clerk and leaders); a filter; the whole year as CSV.
import { useEffect, useState } from "preact/hooks";
import { downloadFrom } from "../../api.js";
import { E } from "../../endpoints.js";
import { fmtDate, problemText, t } from "../../i18n.js";
import { may, orgOf } from "../../roles.js";
import { ErrorBox, Link, navigate, Spinner, TabBar, toast } from "../../ui.jsx";
import { usePaged } from "../paged.js";
import "../../strings/clerk.js";

const DIRECTIONS = ["outgoing", "incoming"];
const pad = (n) => String(n).padStart(2, "0");

export function Registers({ auth, roles, search, desk }) {
  const params = new URLSearchParams(search);
  const thisYear = Number(new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Ho_Chi_Minh", year: "numeric" }).format(new Date()));
  const direction = DIRECTIONS.includes(params.get("dir") || "") ? params.get("dir") : "outgoing";
  const year = Number(params.get("year")) || thisYear;
  const secretAllowed = may.secretRegisters(roles);
  const series = secretAllowed && params.get("series") === "secret" ? "secret" : "normal";
  const [q, setQ] = useState(params.get("q") || "");
  const [query, setQuery] = useState(q.trim());
  useEffect(() => {
    const timer = setTimeout(() => setQuery(q.trim()), 300);
    return () => clearTimeout(timer);
  }, [q]);
  const orgId = orgOf(auth.user);
  const base = { organisation_id: orgId, year, series };
  const list = usePaged(E.register, [direction], { ...base, q: query || undefined, limit: 50 }, [direction, year, series, query]);
  const go = (next) => {
    const p = new URLSearchParams({ dir: direction, year: String(year), series, ...next });
    navigate(`/registers?${p}`, { replace: true });
  };
  const exportCsv = () =>
    downloadFrom(E.registerCsv, [direction], base, `so-van-ban-${direction === "outgoing" ? "di" : "den"}-${year}.csv`).catch((err) =>
      toast(problemText(err), "error"),
    );
  const outgoing = direction === "outgoing";
  return (
    <section class="screen registers">
      <h1>{t("registersTitle")}</h1>
      <TabBar
        tabs={DIRECTIONS.map((d) => ({ id: d, label: t(`rtab_${d}`) }))}
        current={direction}
        onSelect={(d) => go({ dir: d })}
        label={t("registersTitle")}
        controls="register-panel"
      />
      <div class="register-tools">
        <div>
          <label for="reg-year">{t("year")}</label>
          <select id="reg-year" value={year} onChange={(e) => go({ year: e.currentTarget.value })}>
            {[0, 1, 2, 3, 4].map((i) => (
              <option key={i} value={thisYear - i}>
                {thisYear - i}
              </option>
            ))}
          </select>
        </div>
        {secretAllowed && (
          <div class="segmented" role="group" aria-label={t("series")}>
            {["normal", "secret"].map((s) => (
              <button key={s} type="button" class="chip-button" aria-pressed={s === series} onClick={() => go({ series: s })}>
                {t(`series_${s}`)}
              </button>
            ))}
          </div>
        )}
        <button type="button" class="button" onClick={exportCsv}>
          ⬇ {t("exportCsv")}
        </button>
      </div>
      <form class="search" role="search" onSubmit={(e) => (e.preventDefault(), setQuery(q.trim()))}>
        <label for="reg-q" class="visually-hidden">
          {t("filter")}
        </label>
        <input id="reg-q" type="search" placeholder={t("filter")} value={q} maxLength={200} onInput={(e) => setQ(e.currentTarget.value)} />
      </form>
      <div id="register-panel" role="tabpanel" aria-labelledby={`tab-${direction}`} aria-busy={list.loading}>
        {desk ? (
          <div class="table-wrap">
            <table class="register-table">
              <thead>
                <tr>
                  {outgoing ? (
                    <>
                      <th scope="col">{t("col_symbol")}</th>
                      <th scope="col">{t("col_date")}</th>
                      <th scope="col">{t("col_subject")}</th>
                      <th scope="col">{t("col_signer")}</th>
                      <th scope="col">{t("col_recipients")}</th>
                      <th scope="col">{t("col_copies")}</th>
                    </>
                  ) : (
                    <>
                      <th scope="col">{t("col_arrived")}</th>
                      <th scope="col">{t("col_in_number")}</th>
                      <th scope="col">{t("col_sender")}</th>
                      <th scope="col">{t("col_symbol")}</th>
                      <th scope="col">{t("col_date")}</th>
                      <th scope="col">{t("col_subject")}</th>
                      <th scope="col">{t("col_recipients")}</th>
                    </>
                  )}
                </tr>
              </thead>
              <tbody>
                {list.items.map((r) => (
                  <tr key={r.id}>
                    {outgoing ? (
                      <>
                        <td>
                          <Link href={`/documents/${r.document_id}`}>{r.number_symbol}</Link>
                        </td>
                        <td>{fmtDate(r.document_date)}</td>
                        <td>{r.type_and_subject}</td>
                        <td>{r.signer_name}</td>
                        <td class="pre">{r.recipients}</td>
                        <td>{r.copies ?? ""}</td>
                      </>
                    ) : (
                      <>
                        <td>{fmtDate(r.registered_at)}</td>
                        <td>
                          <Link href={`/documents/${r.document_id}`}>{pad(r.number)}</Link>
                        </td>
                        <td>{r.sender_name}</td>
                        <td>{r.number_symbol}</td>
                        <td>{fmtDate(r.document_date)}</td>
                        <td>{r.type_and_subject}</td>
                        <td>{r.recipients}</td>
                      </>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <ul class="doc-list">
            {list.items.map((r) => (
              <li key={r.id} class="doc-row">
                <Link href={`/documents/${r.document_id}`} class="doc-link">
                  <span class="doc-marks">
                    <span class="mark mark-status">{outgoing ? r.number_symbol : t("incomingNo", { n: pad(r.number) })}</span>
                  </span>
                  <span class="doc-subject">{r.type_and_subject}</span>
                  <span class="doc-meta">
                    {outgoing
                      ? [fmtDate(r.document_date), r.signer_name].filter(Boolean).join(" · ")
                      : [r.sender_name, r.number_symbol, fmtDate(r.document_date)].filter(Boolean).join(" · ")}
                  </span>
                  {outgoing && r.recipients && <span class="doc-meta pre">{r.recipients}</span>}
                </Link>
              </li>
            ))}
          </ul>
        )}
        {list.loading && <Spinner />}
        {list.error && <ErrorBox text={list.error} onRetry={list.reload} />}
        {!list.loading && !list.error && list.items.length === 0 && <p class="empty">{t("noEntries")}</p>}
        {!list.loading && list.cursor && (
          <button type="button" class="button button-block" onClick={list.more}>
            {t("loadMore")}
          </button>
        )}
      </div>
    </section>
  );
}
