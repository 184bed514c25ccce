// ISO weeks in Vietnam time, as the calendar API names them ("2026-W49").

const DAY = 86_400_000;
/** "YYYY-MM-DD" → a UTC midnight Date (date arithmetic without time zones). */
const utc = (iso) => new Date(`${iso}T00:00:00Z`);
export const isoDay = (d) => d.toISOString().slice(0, 10);

export function todayVN() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Ho_Chi_Minh" }).format(new Date());
}

export function addDays(iso, n) {
  return isoDay(new Date(utc(iso).getTime() + n * DAY));
}

/** Monday = 1 … Sunday = 7 */
export function weekday(iso) {
  return utc(iso).getUTCDay() || 7;
}

/** The ISO week of a date: "2026-W49". */
export function weekOf(iso) {
  const thursday = addDays(iso, 4 - weekday(iso));
  const year = Number(thursday.slice(0, 4));
  const n = Math.floor((utc(thursday).getTime() - utc(`${year}-01-01`).getTime()) / DAY / 7) + 1;
  return `${year}-W${String(n).padStart(2, "0")}`;
}

/** Monday of an ISO week. */
export function mondayOf(week) {
  const [y, w] = week.split("-W").map(Number);
  const jan4 = `${y}-01-04`;
  return addDays(jan4, (w - 1) * 7 + 1 - weekday(jan4));
}

/** "08:00" of an ISO time with its +07:00 offset (the API's times are Vietnam time). */
export const hhmm = (iso) => iso.slice(11, 16);
/** "2026-11-30" of the same. */
export const dayOfTime = (iso) => iso.slice(0, 10);
