// Lịch công tác: the agency's week, or one leader's (what they chair or attend), a day
// per heading, today marked; cancelled events stay, struck through. The office (văn thư,
// administrators) adds events.
import { useEffect, useState } from "preact/hooks";
import { load } from "../../api.js";
import { E } from "../../endpoints.js";
import { fmtDate, problemText, t } from "../../i18n.js";
import { may, orgOf } from "../../roles.js";
import { ErrorBox, Icon, Link, navigate, Spinner } from "../../ui.jsx";
import { addDays, dayOfTime, hhmm, mondayOf, todayVN, weekday, weekOf } from "./week.js";
import "../../strings/calendar.js";
import "./calendar.css";

export function Calendar({ auth, roles, search, selected, dataTick, wide }) {
  const params = new URLSearchParams(search);
  const today = todayVN();
  const week = /^\d{4}-W\d{2}$/.test(params.get("week") || "") ? params.get("week") : weekOf(today);
  const leader = params.get("leader") || "";
  const [data, setData] = useState(/** @type {any} */ (null));
  const [error, setError] = useState("");
  const [people, setPeople] = useState(/** @type {any[]} */ ([]));
  const [tick, setTick] = useState(0);
  const orgId = orgOf(auth.user);
  const me = auth.user?.id;

  useEffect(() => {
    if (orgId) load(E.users, [orgId]).then((r) => setPeople(r.data), () => {});
  }, []);
  useEffect(() => {
    let live = true;
    setError("");
    load(E.calendar, [], { week, leader_id: leader || undefined })
      .then((r) => live && setData(r.data))
      .catch((err) => live && setError(problemText(err)));
    return () => (live = false);
  }, [week, leader, tick, dataTick]);

  const go = (next) => {
    const p = new URLSearchParams({ week, leader, ...next });
    if (!p.get("leader")) p.delete("leader");
    navigate(`/calendar?${p}`, { replace: true });
  };
  const monday = mondayOf(week);
  const days = [0, 1, 2, 3, 4, 5, 6].map((i) => addDays(monday, i));
  const leaders = people.filter((p) => p.active !== false && p.memberships?.some((m) => m.role === "leader"));
  const events = data?.week === week ? data.events : [];
  /** The last day an event covers (one ending at midnight ends the day before). */
  const lastDay = (e) => {
    const end = hhmm(e.ends_at) === "00:00" ? addDays(dayOfTime(e.ends_at), -1) : dayOfTime(e.ends_at);
    return end < dayOfTime(e.starts_at) ? dayOfTime(e.starts_at) : end;
  };
  const on = (day) =>
    events.filter((e) => dayOfTime(e.starts_at) <= day && day <= lastDay(e)).sort((a, b) => a.starts_at.localeCompare(b.starts_at));
  const weekNo = Number(week.slice(6));

  return (
    <section class="screen calendar">
      <div class="screen-head">
        <h1>{t("calendarTitle")}</h1>
        {may.keepCalendar(roles) && (
          <Link href={`/calendar/new?date=${days.includes(today) ? today : monday}`} class="button button-primary">
            <Icon name="plus" size={20} /> {t("newEvent")}
          </Link>
        )}
      </div>
      <div class="week-tools">
        <div class="week-nav" role="group" aria-label={t("weekLabel", { n: weekNo, from: fmtDate(monday), to: fmtDate(days[6]) })}>
          <button type="button" class="icon-button" aria-label={t("prevWeek")} onClick={() => go({ week: weekOf(addDays(monday, -7)) })}>
            ‹
          </button>
          <button type="button" class="button" disabled={week === weekOf(today)} onClick={() => go({ week: weekOf(today) })}>
            {t("thisWeek")}
          </button>
          <button type="button" class="icon-button" aria-label={t("nextWeek")} onClick={() => go({ week: weekOf(addDays(monday, 7)) })}>
            ›
          </button>
        </div>
        <div class="whose">
          <label for="cal-who">{t("whoseWeek")}</label>
          <select id="cal-who" value={leader} onChange={(e) => go({ leader: e.currentTarget.value })}>
            <option value="">{t("agencyWeek")}</option>
            {!leaders.some((p) => p.id === me) && <option value={me}>{t("myWeek")}</option>}
            {leaders.map((p) => (
              <option key={p.id} value={p.id}>
                {p.full_name}
                {p.memberships.find((m) => m.role === "leader")?.position_title ? ` — ${p.memberships.find((m) => m.role === "leader").position_title}` : ""}
              </option>
            ))}
          </select>
        </div>
      </div>
      <p class="week-label" aria-live="polite">
        <strong>{t("weekLabel", { n: weekNo, from: fmtDate(monday), to: fmtDate(days[6]) })}</strong>
      </p>
      {error && <ErrorBox text={error} onRetry={() => setTick(tick + 1)} />}
      {!data && !error && <Spinner />}
      {data && wide && <WeekTable days={days} on={on} today={today} events={events} />}
      {data && !wide && (
        <div aria-busy={data.week !== week}>
          {events.length === 0 && <p class="empty">{t("weekEmpty")}</p>}
          {days.map((day) => {
            const list = on(day);
            const isToday = day === today;
            if (!list.length && !isToday && weekday(day) > 5) return null; // an empty weekend
            return (
              <section key={day} class={`day${isToday ? " day-today" : ""}`} aria-labelledby={`day-${day}`}>
                <h2 id={`day-${day}`} class="day-title">
                  {t(`day_${weekday(day)}`)}, {fmtDate(day)}
                  {isToday && <span class="mark mark-today">{t("today")}</span>}
                </h2>
                {list.length === 0 ? (
                  <p class="muted small">{t("noEvents")}</p>
                ) : (
                  <ul class="events">
                    {list.map((e) => (
                      <li key={e.id} class={`event${e.status === "cancelled" ? " event-cancelled" : ""}${selected === e.id ? " event-open" : ""}`}>
                        <Link href={`/calendar/events/${e.id}`} class="event-link" aria-current={selected === e.id ? "page" : undefined}>
                          <span class="event-time">
                            {dayOfTime(e.starts_at) === day ? hhmm(e.starts_at) : "…"}–{dayOfTime(e.ends_at) === day ? hhmm(e.ends_at) : "…"}
                          </span>
                          <span class="event-body">
                            {e.status === "cancelled" && <span class="mark mark-overdue">{t("eventCancelled")}</span>}{" "}
                            <span class="event-title">{e.title}</span>
                            {(e.place || e.chair) && (
                              <span class="event-meta">
                                {[e.chair && `${t("eventChair")}: ${e.chair.full_name}`, e.place].filter(Boolean).join(" · ")}
                              </span>
                            )}
                          </span>
                        </Link>
                      </li>
                    ))}
                  </ul>
                )}
              </section>
            );
          })}
        </div>
      )}
    </section>
  );
}

/** At a desk: the week as the office prints it — a row per event, days as row groups. */
function WeekTable({ days, on, today, events }) {
  return (
    <div class="table-wrap">
      <table class="week-table">
        <caption class="visually-hidden">{t("calendarTitle")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("eventDate")}</th>
            <th scope="col">{t("eventWhen")}</th>
            <th scope="col">{t("eventTitle")}</th>
            <th scope="col">{t("eventChair")}</th>
            <th scope="col">{t("eventParticipants")}</th>
            <th scope="col">{t("eventPlace")}</th>
          </tr>
        </thead>
        {days.map((day) => {
          const list = on(day);
          const isToday = day === today;
          const head = (
            <th scope="rowgroup" rowSpan={Math.max(1, list.length)} class="week-day">
              {t(`day_${weekday(day)}`)}
              <br />
              {fmtDate(day)}
              {isToday && (
                <>
                  <br />
                  <span class="mark mark-today">{t("today")}</span>
                </>
              )}
            </th>
          );
          return (
            <tbody key={day} class={isToday ? "day-today" : ""}>
              {list.length === 0 ? (
                <tr>
                  {head}
                  <td colSpan={5} class="muted">
                    {t("noEvents")}
                  </td>
                </tr>
              ) : (
                list.map((e, i) => (
                  <tr key={e.id} class={e.status === "cancelled" ? "event-cancelled" : ""}>
                    {i === 0 && head}
                    <td class="event-time">
                      {dayOfTime(e.starts_at) === day ? hhmm(e.starts_at) : "…"}–{dayOfTime(e.ends_at) === day ? hhmm(e.ends_at) : "…"}
                    </td>
                    <td>
                      {e.status === "cancelled" && <span class="mark mark-overdue">{t("eventCancelled")}</span>}{" "}
                      <Link href={`/calendar/events/${e.id}`} class="event-title">
                        {e.title}
                      </Link>
                    </td>
                    <td>{e.chair?.full_name || ""}</td>
                    <td>{(e.participants || []).map((p) => p.full_name).join(", ")}</td>
                    <td>{e.place}</td>
                  </tr>
                ))
              )}
            </tbody>
          );
        })}
      </table>
      {events.length === 0 && <p class="empty">{t("weekEmpty")}</p>}
    </div>
  );
}
