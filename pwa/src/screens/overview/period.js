// Report periods in Vietnam time ("2026-12-03" strings, as the API takes them).

/** Today in Vietnam, "YYYY-MM-DD". */
export function todayVN() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Ho_Chi_Minh" }).format(new Date());
}

const iso = (y, m, d) => new Date(Date.UTC(y, m, d)).toISOString().slice(0, 10);

/** {from, to} of a named period containing today. */
export function periodOf(name, today = todayVN()) {
  const [y, m] = today.split("-").map(Number);
  if (name === "last_month") return { from: iso(y, m - 2, 1), to: iso(y, m - 1, 0) };
  if (name === "quarter") return { from: iso(y, Math.floor((m - 1) / 3) * 3, 1), to: today };
  if (name === "year") return { from: `${y}-01-01`, to: today };
  if (name === "all") return { from: iso(y - 2, m - 1, Number(today.slice(8)) + 1), to: today }; // the API's longest
  return { from: iso(y, m - 1, 1), to: today };
}

export const BUCKETS = ["completed_on_time", "completed_late", "in_progress_on_time", "in_progress_overdue"];

/** The drill-down's address for one figure. */
export function drillHref({ unit, user, bucket = "received", from, to, name }) {
  const p = new URLSearchParams({ bucket, from, to });
  if (unit) p.set("unit", String(unit));
  if (user) p.set("user", String(user));
  if (name) p.set("name", name);
  return `/reports/documents?${p}`;
}
