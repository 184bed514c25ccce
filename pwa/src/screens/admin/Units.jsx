// Đơn vị: the agency and its units as a tree, each with its heads and how many people;
// create a unit, rename it, make someone its head (a head membership) or take it away.
import { useEffect, useState } from "preact/hooks";
import { load, request } from "../../api.js";
import { E } from "../../endpoints.js";
import { problemText, t } from "../../i18n.js";
import { orgOf } from "../../roles.js";
import { ErrorBox, Spinner, toast } from "../../ui.jsx";
import "../../strings/admin.js";
import "./admin.css";

/** A user's memberships in the shape PATCH /api/users/{id} takes. */
export const asBody = (memberships) =>
  memberships.map((m) => ({ unit_id: m.unit_id ?? null, role: m.role, position_title: m.position_title || "" }));

export function Units({ auth }) {
  const orgId = orgOf(auth.user);
  const [org, setOrg] = useState(/** @type {any} */ (null));
  const [units, setUnits] = useState(/** @type {any[]|null} */ (null));
  const [users, setUsers] = useState(/** @type {any[]} */ ([]));
  const [error, setError] = useState("");
  const [tick, setTick] = useState(0);
  useEffect(() => {
    setError("");
    load(E.organisation, [orgId]).then((r) => setOrg(r.data), () => {});
    load(E.units, [orgId])
      .then((r) => setUnits(r.data))
      .catch((err) => setError(problemText(err)));
    load(E.users, [orgId]).then((r) => setUsers(r.data), () => {});
  }, [tick]);
  const refresh = () => setTick(tick + 1);
  if (error && !units) return <ErrorBox text={error} onRetry={refresh} />;
  if (!units) return <Spinner />;
  const leaders = users.filter((u) => u.memberships.some((m) => m.role === "leader" && m.organisation_id === orgId));
  return (
    <section class="screen">
      <h1>{t("unitsTitle")}</h1>
      <ul class="unit-tree">
        <li>
          <p class="org-node">{org?.name || "…"}</p>
          {leaders.length > 0 && (
            <p class="muted small">
              {t("orgLeaders")}: {leaders.map((u) => u.full_name).join(", ")}
            </p>
          )}
          <ul>
            {units.map((u) => (
              <UnitNode key={u.id} unit={u} orgId={orgId} users={users} onChanged={refresh} />
            ))}
          </ul>
        </li>
      </ul>
      <NewUnit orgId={orgId} onDone={refresh} />
    </section>
  );
}

function UnitNode({ unit, orgId, users, onChanged }) {
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(unit.name);
  const [abbr, setAbbr] = useState(unit.abbreviation);
  const [who, setWho] = useState("");
  const [title, setTitle] = useState(t("unitHeadTitleDefault"));
  const [error, setError] = useState("");
  const members = users.filter((u) => u.memberships.some((m) => m.unit_id === unit.id));
  const heads = users.filter((u) => u.active && u.memberships.some((m) => m.unit_id === unit.id && m.role === "head"));
  const candidates = users.filter((u) => u.active && !heads.includes(u));

  const rename = async (e) => {
    e.preventDefault();
    setError("");
    try {
      await request(E.unitUpdate, [orgId, unit.id], { body: { name: name.trim(), abbreviation: abbr.trim() } });
      toast(t("unitSaved"), "success");
      setRenaming(false);
      onChanged();
    } catch (err) {
      setError(err.errors?.abbreviation ? t("errInvalid") + " " + t("unitAbbr") : problemText(err));
    }
  };
  const addHead = async (e) => {
    e.preventDefault();
    const user = users.find((u) => u.id === Number(who));
    if (!user) return;
    setError("");
    try {
      const mine = user.memberships.filter((m) => m.organisation_id === orgId);
      await request(E.userUpdate, [user.id], {
        body: { memberships: [...asBody(mine), { unit_id: unit.id, role: "head", position_title: title.trim() }] },
      });
      toast(t("unitHeadAdded", { name: user.full_name, unit: unit.name }), "success");
      setWho("");
      onChanged();
    } catch (err) {
      setError(problemText(err));
    }
  };
  const removeHead = async (user) => {
    setError("");
    try {
      const mine = user.memberships.filter((m) => m.organisation_id === orgId && !(m.unit_id === unit.id && m.role === "head"));
      await request(E.userUpdate, [user.id], { body: { memberships: asBody(mine) } });
      toast(t("unitHeadRemoved", { name: user.full_name }), "success");
      onChanged();
    } catch (err) {
      setError(problemText(err));
    }
  };

  return (
    <li class="unit-node">
      <h3>
        {unit.name} <span class="abbr">({unit.abbreviation})</span>
      </h3>
      <p class="muted small">{t("unitMembers", { n: members.length })}</p>
      <p class="label">{t("unitHeads")}</p>
      {heads.length === 0 ? (
        <p class="notice">{t("unitNoHead")}</p>
      ) : (
        <ul class="head-list">
          {heads.map((h) => (
            <li key={h.id}>
              <span>
                {h.full_name}
                <span class="muted"> — {h.memberships.find((m) => m.unit_id === unit.id && m.role === "head")?.position_title}</span>
              </span>
              <button type="button" class="link-button" aria-label={t("unitHeadRemove", { name: h.full_name })} onClick={() => removeHead(h)}>
                {t("remove")}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form class="inline-form" onSubmit={addHead}>
        <div>
          <label for={`head-${unit.id}`}>{t("unitAddHead")}</label>
          <select id={`head-${unit.id}`} value={who} onChange={(e) => setWho(e.currentTarget.value)}>
            <option value="">{t("choosePerson")}</option>
            {candidates.map((u) => (
              <option key={u.id} value={u.id}>
                {u.full_name} ({u.username})
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for={`head-title-${unit.id}`}>{t("unitHeadTitle")}</label>
          <input id={`head-title-${unit.id}`} value={title} maxLength={120} onInput={(e) => setTitle(e.currentTarget.value)} />
        </div>
        <button type="submit" class="button" disabled={!who}>
          {t("unitAddHead")}
        </button>
      </form>
      {renaming ? (
        <form class="inline-form" onSubmit={rename}>
          <div>
            <label for={`unit-name-${unit.id}`}>{t("unitName")}</label>
            <input id={`unit-name-${unit.id}`} value={name} maxLength={255} required onInput={(e) => setName(e.currentTarget.value)} />
          </div>
          <div>
            <label for={`unit-abbr-${unit.id}`}>{t("unitAbbr")}</label>
            <input id={`unit-abbr-${unit.id}`} value={abbr} maxLength={20} required onInput={(e) => setAbbr(e.currentTarget.value)} />
          </div>
          <div class="row">
            <button type="submit" class="button button-primary">
              {t("save")}
            </button>
            <button type="button" class="button" onClick={() => setRenaming(false)}>
              {t("cancel")}
            </button>
          </div>
        </form>
      ) : (
        <button type="button" class="button" aria-label={`${t("unitRename")}: ${unit.name}`} onClick={() => setRenaming(true)}>
          {t("unitRename")}
        </button>
      )}
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

function NewUnit({ orgId, onDone }) {
  const [name, setName] = useState("");
  const [abbr, setAbbr] = useState("");
  const [error, setError] = useState("");
  const submit = async (e) => {
    e.preventDefault();
    setError("");
    try {
      const unit = await request(E.unitCreate, [orgId], { body: { name: name.trim(), abbreviation: abbr.trim() } });
      toast(t("unitCreated", { name: unit.name }), "success");
      setName("");
      setAbbr("");
      onDone();
    } catch (err) {
      setError(problemText(err));
    }
  };
  return (
    <form class="form card-form" onSubmit={submit} aria-labelledby="new-unit">
      <h2 id="new-unit">{t("unitCreate")}</h2>
      <label for="new-unit-name">{t("unitName")}</label>
      <input id="new-unit-name" value={name} maxLength={255} required onInput={(e) => setName(e.currentTarget.value)} />
      <label for="new-unit-abbr">{t("unitAbbr")}</label>
      <input id="new-unit-abbr" value={abbr} maxLength={20} required pattern="[A-Za-zĐđ0-9]{1,20}" onInput={(e) => setAbbr(e.currentTarget.value)} />
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="button button-primary">
        {t("unitCreate")}
      </button>
    </form>
  );
}
