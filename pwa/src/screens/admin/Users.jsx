// Người dùng: the agency's accounts (a table at a desk); a new account with its first
// positions; one account: name and e-mail, positions and roles, lock / unlock, a new
// password.
import { useEffect, useState } from "preact/hooks";
import { load, request } from "../../api.js";
import { E } from "../../endpoints.js";
import { problemText, t } from "../../i18n.js";
import { orgOf } from "../../roles.js";
import { ErrorBox, Icon, Link, navigate, Spinner, toast } from "../../ui.jsx";
import { ROLES } from "../../strings/admin.js";
import { asBody } from "./Units.jsx";
import "./admin.css";

const roleText = (m) => [t(`role_${m.role}`), m.unit_name, m.position_title].filter(Boolean).join(" · ");

export function Users({ auth, desk }) {
  const orgId = orgOf(auth.user);
  const [users, setUsers] = useState(/** @type {any[]|null} */ (null));
  const [error, setError] = useState("");
  const [filter, setFilter] = useState("");
  useEffect(() => {
    load(E.users, [orgId])
      .then((r) => setUsers(r.data))
      .catch((err) => setError(problemText(err)));
  }, []);
  if (error) return <ErrorBox text={error} />;
  if (!users) return <Spinner />;
  const f = filter.trim().toLowerCase();
  const shown = users.filter((u) => !f || u.full_name.toLowerCase().includes(f) || u.username.includes(f));
  return (
    <section class="screen">
      <div class="screen-head">
        <h1>{t("usersTitle")}</h1>
        <Link href="/admin/users/new" class="button button-primary">
          <Icon name="plus" size={20} /> {t("userNew")}
        </Link>
      </div>
      <label for="user-filter" class="visually-hidden">
        {t("userFilter")}
      </label>
      <input id="user-filter" type="search" placeholder={t("userFilter")} value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
      {desk ? (
        <div class="table-wrap">
          <table class="admin-table">
            <thead>
              <tr>
                <th scope="col">{t("userFullName")}</th>
                <th scope="col">{t("userUsername")}</th>
                <th scope="col">{t("memberships")}</th>
                <th scope="col">{t("accountState")}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((u) => (
                <tr key={u.id}>
                  <td>
                    <Link href={`/admin/users/${u.id}`}>{u.full_name}</Link>
                  </td>
                  <td>{u.username}</td>
                  <td>{u.memberships.map(roleText).join("; ")}</td>
                  <td>{u.active ? "" : <span class="mark mark-overdue">{t("userInactive")}</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <ul class="doc-list">
          {shown.map((u) => (
            <li key={u.id} class="doc-row">
              <Link href={`/admin/users/${u.id}`} class="doc-link">
                <span class="doc-marks">{!u.active && <span class="mark mark-overdue">{t("userInactive")}</span>}</span>
                <span class="doc-subject">{u.full_name}</span>
                <span class="doc-meta">{u.username}</span>
                <span class="doc-meta">{u.memberships.map(roleText).join("; ")}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Positions and roles: a row per membership (unit, role, title). */
function MembershipsEditor({ rows, setRows, units }) {
  const set = (i, k, v) => setRows(rows.map((r, j) => (j === i ? { ...r, [k]: v } : r)));
  return (
    <fieldset>
      <legend>{t("memberships")}</legend>
      {rows.map((r, i) => (
        <fieldset key={i} class="membership-row">
          <legend class="visually-hidden">{`${t("memberships")} ${i + 1}`}</legend>
          <div class="form-row">
            <div>
              <label for={`m-role-${i}`}>{t("membershipRole")}</label>
              <select id={`m-role-${i}`} value={r.role} onChange={(e) => set(i, "role", e.currentTarget.value)}>
                {ROLES.map((x) => (
                  <option key={x} value={x}>
                    {t(`role_${x}`)}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label for={`m-unit-${i}`}>{t("membershipUnit")}</label>
              <select id={`m-unit-${i}`} value={r.unit_id ?? ""} onChange={(e) => set(i, "unit_id", e.currentTarget.value ? Number(e.currentTarget.value) : null)}>
                <option value="">{t("noUnit")}</option>
                {units.map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.name}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <label for={`m-title-${i}`}>{t("membershipTitle")}</label>
          <input id={`m-title-${i}`} value={r.position_title} maxLength={120} onInput={(e) => set(i, "position_title", e.currentTarget.value)} />
          {rows.length > 1 && (
            <button type="button" class="link-button" onClick={() => setRows(rows.filter((_, j) => j !== i))}>
              {t("removeMembership", { n: i + 1 })}
            </button>
          )}
        </fieldset>
      ))}
      <button type="button" class="button" onClick={() => setRows([...rows, { unit_id: null, role: "specialist", position_title: "" }])}>
        <Icon name="plus" size={20} /> {t("addMembership")}
      </button>
    </fieldset>
  );
}

export function UserEdit({ id, auth }) {
  const orgId = orgOf(auth.user);
  const creating = !id;
  const [user, setUser] = useState(/** @type {any} */ (null));
  const [units, setUnits] = useState(/** @type {any[]} */ ([]));
  const [v, setV] = useState({ username: "", full_name: "", email: "", password: "" });
  const [rows, setRows] = useState(/** @type {any[]} */ ([{ unit_id: null, role: "specialist", position_title: "Chuyên viên" }]));
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [fieldErrors, setFieldErrors] = useState(/** @type {Record<string, string>} */ ({}));
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    load(E.units, [orgId]).then((r) => setUnits(r.data), () => {});
    if (!creating)
      request(E.user, [id])
        .then((u) => {
          setUser(u);
          setV({ username: u.username, full_name: u.full_name, email: u.email || "", password: "" });
          setRows(asBody(u.memberships.filter((m) => m.organisation_id === orgId)));
        })
        .catch((err) => setError(problemText(err)));
  }, [id]);
  const set = (k) => (e) => setV({ ...v, [k]: e.currentTarget.value });
  const run = async (fn) => {
    setBusy(true);
    setError("");
    setFieldErrors({});
    try {
      await fn();
    } catch (err) {
      const f = err.errors || {};
      setFieldErrors(Object.fromEntries(Object.entries(f).map(([k, m]) => [k, Array.isArray(m) ? m.join(" ") : String(m)])));
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  };

  if (!creating && !user) return error ? <ErrorBox text={error} /> : <Spinner />;
  const errorBox = error && (
    <p class="form-error" role="alert">
      {error}
    </p>
  );

  if (creating) {
    const create = (e) => {
      e.preventDefault();
      if (v.password.length < 10) return setFieldErrors({ password: t("errPasswordShort") });
      run(async () => {
        const u = await request(E.userCreate, [orgId], {
          body: { username: v.username.trim(), full_name: v.full_name.trim(), email: v.email.trim() || null, password: v.password, memberships: rows },
        });
        toast(t("userCreated", { name: u.full_name }), "success");
        navigate(`/admin/users/${u.id}`, { replace: true });
      });
    };
    return (
      <section class="screen">
        <h1>{t("userNew")}</h1>
        <form class="form" onSubmit={create} noValidate>
          <label for="u-username">{t("userUsername")}</label>
          <input id="u-username" autocomplete="off" value={v.username} maxLength={64} onInput={set("username")} aria-describedby="u-username-err" />
          <p id="u-username-err" class="form-error">{fieldErrors.username}</p>
          <label for="u-name">{t("userFullName")}</label>
          <input id="u-name" value={v.full_name} maxLength={255} onInput={set("full_name")} />
          <label for="u-email">{t("userEmail")}</label>
          <input id="u-email" type="email" value={v.email} onInput={set("email")} />
          <label for="u-password">{t("userPassword")}</label>
          <input id="u-password" type="password" autocomplete="new-password" value={v.password} onInput={set("password")} aria-describedby="u-password-err" />
          <p id="u-password-err" class="form-error">{fieldErrors.password}</p>
          <MembershipsEditor rows={rows} setRows={setRows} units={units} />
          {errorBox}
          <button type="submit" class="button button-primary" disabled={busy}>
            {t("userNew")}
          </button>
        </form>
      </section>
    );
  }

  const saveDetails = (e) => {
    e.preventDefault();
    run(async () => {
      setUser(await request(E.userUpdate, [id], { body: { full_name: v.full_name.trim(), email: v.email.trim() || null } }));
      toast(t("userSaved"), "success");
    });
  };
  const saveRoles = () =>
    run(async () => {
      const u = await request(E.userUpdate, [id], { body: { memberships: rows } });
      setUser(u);
      setRows(asBody(u.memberships.filter((m) => m.organisation_id === orgId)));
      toast(t("userSaved"), "success");
    });
  const flipActive = () =>
    run(async () => {
      setUser(await request(E.userUpdate, [id], { body: { active: !user.active } }));
      toast(t(user.active ? "deactivated" : "activated"), "success");
    });
  const reset = (e) => {
    e.preventDefault();
    if (password.length < 10) return setFieldErrors({ password: t("errPasswordShort") });
    run(async () => {
      await request(E.userUpdate, [id], { body: { password } });
      setPassword("");
      toast(t("passwordReset"), "success");
    });
  };
  return (
    <section class="screen">
      <h1>
        {user.full_name} {!user.active && <span class="mark mark-overdue">{t("userInactive")}</span>}
      </h1>
      <p class="muted">{user.username}</p>
      {errorBox}
      <form class="form" onSubmit={saveDetails}>
        <label for="u-name">{t("userFullName")}</label>
        <input id="u-name" value={v.full_name} maxLength={255} onInput={set("full_name")} />
        <label for="u-email">{t("userEmail")}</label>
        <input id="u-email" type="email" value={v.email} onInput={set("email")} />
        <button type="submit" class="button" disabled={busy}>
          {t("save")}
        </button>
      </form>
      <div class="form">
        <MembershipsEditor rows={rows} setRows={setRows} units={units} />
        <p class="form-error">{fieldErrors.memberships}</p>
        <button type="button" class="button button-primary" disabled={busy} onClick={saveRoles}>
          {t("saveMemberships")}
        </button>
      </div>
      <h2>{t("resetPassword")}</h2>
      <form class="form" onSubmit={reset} noValidate>
        <label for="u-new-password">{t("newPassword")}</label>
        <input id="u-new-password" type="password" autocomplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} aria-describedby="u-new-password-err" />
        <p id="u-new-password-err" class="form-error">{fieldErrors.password}</p>
        <button type="submit" class="button" disabled={busy}>
          {t("resetPassword")}
        </button>
      </form>
      <h2>{t("accountState")}</h2>
      <button type="button" class={`button ${user.active ? "button-danger" : ""}`} disabled={busy} onClick={flipActive}>
        {user.active ? t("deactivate") : t("activate")}
      </button>
    </section>
  );
}
