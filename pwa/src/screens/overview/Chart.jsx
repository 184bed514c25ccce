// A stacked bar per unit: completed on time / late, in progress / overdue. Drawn in SVG
// (no chart library); the unit's name and figures are HTML text beside it, so they grow
// with the text size, and each bar is a link whose name says every figure (a screen
// reader hears the numbers, a finger taps through to the documents). A table of the same
// figures follows for those who prefer one.
import { t } from "../../i18n.js";
import { Link } from "../../ui.jsx";
import { BUCKETS, drillHref } from "./period.js";

/** @param {{rows: any[], from: string, to: string, id: string}} props */
export function UnitChart({ rows, from, to, id }) {
  const max = Math.max(1, ...rows.map((r) => r.received));
  const shown = rows.filter((r) => r.received > 0);
  return (
    <figure class="chart" aria-labelledby={`${id}-caption`}>
      <figcaption id={`${id}-caption`} class="visually-hidden">
        {t("chartTitle")}
      </figcaption>
      <Legend />
      {shown.length === 0 ? (
        <p class="muted">{t("chartEmpty")}</p>
      ) : (
        <ul class="bars">
          {shown.map((r) => {
            const detail = BUCKETS.map((b) => `${t(`bucket_${b}`)} ${r[b]}`).join(", ");
            let x = 0;
            return (
              <li key={r.unit_id}>
                <Link href={drillHref({ unit: r.unit_id, from, to, name: r.unit_name })} class="bar-link">
                  <span class="bar-head">
                    <span class="bar-name">
                      {r.unit_name}
                      <span class="visually-hidden"> {t("chartBarText", { received: r.received, detail })}</span>
                    </span>
                    <span class="bar-total" aria-hidden="true">
                      {r.received}
                    </span>
                  </span>
                  <svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">
                    <rect class="bar-track" x="0" y="0" width="100" height="10" />
                    {BUCKETS.map((b) => {
                      const w = (r[b] / max) * 100;
                      const rect = w > 0 && <rect key={b} class={`seg seg-${b}`} x={x} y="0" width={w} height="10" />;
                      x += w;
                      return rect;
                    })}
                  </svg>
                  <span class="bar-figures" aria-hidden="true">
                    {BUCKETS.map((b) => (
                      <span key={b} class="bar-figure">
                        <span class={`swatch swatch-${b}`} />
                        {r[b]}
                      </span>
                    ))}
                  </span>
                </Link>
              </li>
            );
          })}
        </ul>
      )}
    </figure>
  );
}

export function Legend() {
  return (
    <ul class="legend" aria-hidden="true">
      {BUCKETS.map((b) => (
        <li key={b}>
          <span class={`swatch swatch-${b}`} />
          {t(`short_${b}`)}
        </li>
      ))}
    </ul>
  );
}

/**
 * The same figures as a table (and for people: `people` rows under each unit), each
 * figure a link to its documents.
 */
export function FiguresTable({ rows, totals, from, to, caption, people, open, onToggle }) {
  const cols = ["received", ...BUCKETS];
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={caption}>
      <table class="figures">
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t("colUnit")}</th>
            {cols.map((c) => (
              <th key={c} scope="col">
                {t(`bucket_${c}`)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const mine = people ? people.filter((p) => p.unit_id === r.unit_id) : null;
            const isOpen = open?.has(r.unit_id);
            return [
              <tr key={r.unit_id}>
                <th scope="row">
                  {people ? (
                    <button
                      type="button"
                      class="tree-toggle"
                      aria-expanded={isOpen}
                      aria-label={t(isOpen ? "collapse" : "expand", { name: r.unit_name })}
                      onClick={() => onToggle(r.unit_id)}
                    >
                      <span aria-hidden="true">{isOpen ? "▾" : "▸"}</span> {r.unit_name}
                    </button>
                  ) : (
                    r.unit_name
                  )}
                </th>
                {cols.map((c) => (
                  <td key={c}>
                    <Figure n={r[c]} href={drillHref({ unit: r.unit_id, bucket: c, from, to, name: r.unit_name })} />
                  </td>
                ))}
              </tr>,
              isOpen &&
                (mine.length ? (
                  mine.map((p) => (
                    <tr key={`${r.unit_id}-${p.user_id}`} class="tree-child">
                      <th scope="row">{p.full_name}</th>
                      {cols.map((c) => (
                        <td key={c}>
                          <Figure
                            n={p[c]}
                            href={drillHref({ unit: r.unit_id, user: p.user_id, bucket: c, from, to, name: p.full_name })}
                          />
                        </td>
                      ))}
                    </tr>
                  ))
                ) : (
                  <tr key={`${r.unit_id}-none`} class="tree-child">
                    <td colSpan={cols.length + 1} class="muted">
                      {t("noPeople")}
                    </td>
                  </tr>
                )),
            ];
          })}
        </tbody>
        {totals && (
          <tfoot>
            <tr>
              <th scope="row">{t("total")}</th>
              {cols.map((c) => (
                <td key={c}>{totals[c]}</td>
              ))}
            </tr>
          </tfoot>
        )}
      </table>
    </div>
  );
}

function Figure({ n, href }) {
  return n > 0 ? <Link href={href}>{n}</Link> : <span class="muted">0</span>;
}
