// Chứng thư số: the agency's certificates — whose, where the key is, valid until when
// (expired in red, expiring within 30 days in amber) — registering one (the server checks
// the chain against its trust roots and a test signature with the key; each refusal is
// told on the field it concerns), revoking one, and the signature or seal image with a
// preview on a checkerboard (what is transparent shows) before the server checks its
// colour and transparency. SigningLevel: the agency's digital signing and PAdES level.
import { useEffect, useState } from "preact/hooks";
import { load, request } from "../../api.js";
import { E } from "../../endpoints.js";
import { fmtDate, problemText, t } from "../../i18n.js";
import { orgOf } from "../../roles.js";
import { ErrorBox, Spinner, toast } from "../../ui.jsx";
import "../../strings/admin.js";
import "./admin.css";

export function Credentials({ auth }) {
  const orgId = orgOf(auth.user);
  const [items, setItems] = useState(/** @type {any[]|null} */ (null));
  const [users, setUsers] = useState(/** @type {any[]} */ ([]));
  const [error, setError] = useState("");
  const [tick, setTick] = useState(0);
  useEffect(() => {
    load(E.credentials, [], { organisation_id: orgId })
      .then((r) => setItems(r.data))
      .catch((err) => setError(problemText(err)));
    load(E.users, [orgId]).then((r) => setUsers(r.data), () => {});
  }, [tick]);
  const refresh = () => setTick(tick + 1);
  if (error && !items) return <ErrorBox text={error} onRetry={refresh} />;
  if (!items) return <Spinner />;
  const nameOf = (uid) => users.find((u) => u.id === uid)?.full_name || `#${uid}`;
  const ordered = [...items].sort((a, b) => Number(b.active) - Number(a.active) || (a.days_left ?? 0) - (b.days_left ?? 0));
  return (
    <section class="screen">
      <h1>{t("credentialsTitle")}</h1>
      {ordered.map((c) => (
        <Credential key={c.id} c={c} owner={c.purpose === "seal" ? t("credSeal") : t("credPersonal", { name: nameOf(c.user_id) })} onChanged={refresh} />
      ))}
      <NewCredential orgId={orgId} users={users.filter((u) => u.active)} onDone={refresh} />
    </section>
  );
}

function Credential({ c, owner, onChanged }) {
  const [confirming, setConfirming] = useState(false);
  const state = !c.active ? "inactive" : c.expired ? "expired" : c.expiring_soon ? "expiring" : "valid";
  const revoke = async () => {
    try {
      await request(E.credentialRevoke, [c.id]);
      toast(t("credRevoked"), "success");
      onChanged();
    } catch (err) {
      toast(problemText(err), "error");
    }
  };
  return (
    <article class={`cred cred-${state}`} aria-labelledby={`cred-${c.id}`}>
      <h2 id={`cred-${c.id}`}>{owner}</h2>
      <p>
        {state === "inactive" && <span class="mark mark-status">{t("credInactive")}</span>}
        {state === "expired" && <span class="mark mark-overdue">{t("credExpired")}</span>}
        {state === "expiring" && <span class="mark mark-warn">{t("credExpiring", { n: c.days_left })}</span>}
        {state === "valid" && <span class="mark mark-ok">{t("credValid", { date: fmtDate(c.not_after?.slice(0, 10)) })}</span>}
      </p>
      <p class="small">{c.subject}</p>
      <p class="muted small">
        {t("credIssuer", { issuer: c.issuer })} · {t(`credProvider_${c.provider}`)} · <span class="mono">{c.credential_ref}</span>
      </p>
      {c.active && <ImageUpload c={c} onSaved={onChanged} />}
      {c.active &&
        (confirming ? (
          <div class="confirm" role="alert">
            <p>{t("credRevokeConfirm")}</p>
            <div class="row">
              <button type="button" class="button button-danger" onClick={revoke}>
                {t("credRevoke")}
              </button>
              <button type="button" class="button" onClick={() => setConfirming(false)}>
                {t("cancel")}
              </button>
            </div>
          </div>
        ) : (
          <button type="button" class="button" aria-label={`${t("credRevoke")}: ${owner}`} onClick={() => setConfirming(true)}>
            {t("credRevoke")}
          </button>
        ))}
    </article>
  );
}

function ImageUpload({ c, onSaved }) {
  const [file, setFile] = useState(/** @type {File|null} */ (null));
  const [preview, setPreview] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  useEffect(() => () => preview && URL.revokeObjectURL(preview), [preview]);
  const pick = (e) => {
    const f = e.currentTarget.files?.[0] || null;
    setFile(f);
    setError("");
    setPreview(f ? URL.createObjectURL(f) : "");
  };
  const upload = async () => {
    if (!file) return;
    setBusy(true);
    setError("");
    const form = new FormData();
    form.set("image", file, file.name);
    try {
      await request(E.credentialImage, [c.id], { form });
      toast(t("credImageSaved"), "success");
      setFile(null);
      setPreview("");
      onSaved();
    } catch (err) {
      const key = `errImg_${err.code}`;
      setError(t(key) !== key ? t(key) : problemText(err));
    } finally {
      setBusy(false);
    }
  };
  const input = `cred-img-${c.id}`;
  return (
    <div class="form">
      <p class="label">{t("credImage")}</p>
      <p class="help">
        {c.purpose === "seal" ? t("credImageHelpSeal") : t("credImageHelpPersonal")} {c.has_image ? t("credImageHas") : t("credImageNone")}
      </p>
      <label for={input}>{t("credImagePick")}</label>
      <input id={input} type="file" accept="image/png" onChange={pick} aria-describedby={`${input}-err`} />
      {preview && (
        <figure class="image-preview">
          <img src={preview} alt={t("credImagePreview")} />
        </figure>
      )}
      <p id={`${input}-err`} class="form-error" role={error ? "alert" : undefined}>
        {error}
      </p>
      {file && (
        <button type="button" class="button" disabled={busy} onClick={upload}>
          {t("credImageUpload")}
        </button>
      )}
    </div>
  );
}

function NewCredential({ orgId, users, onDone }) {
  const [v, setV] = useState({ purpose: "personal", user_id: "", provider: "pkcs12", credential_ref: "", certificate: "" });
  const [errors, setErrors] = useState(/** @type {Record<string,string>} */ ({}));
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const set = (k) => (e) => setV({ ...v, [k]: e.currentTarget.value });
  const readFile = async (e) => {
    const f = e.currentTarget.files?.[0];
    if (f) setV({ ...v, certificate: await f.text() });
  };
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setError("");
    try {
      const c = await request(E.credentialCreate, [], {
        body: {
          organisation_id: orgId,
          purpose: v.purpose,
          user_id: v.purpose === "personal" && v.user_id ? Number(v.user_id) : null,
          provider: v.provider,
          credential_ref: v.credential_ref.trim(),
          certificate: v.certificate,
        },
      });
      toast(t("credRegistered", { subject: c.subject }), "success");
      setV({ ...v, credential_ref: "", certificate: "" });
      onDone();
    } catch (err) {
      // the server names the field; its code says why, in words the admin can act on
      const key = `errCert_${err.code}`;
      const why = t(key) !== key ? t(key) : null;
      const fields = {};
      for (const [k, m] of Object.entries(err.errors || {})) fields[k] = why || (Array.isArray(m) ? m.join(" ") : String(m));
      setErrors(fields);
      setError(why && Object.keys(fields).length ? "" : why || problemText(err));
    } finally {
      setBusy(false);
    }
  };
  const err = (k) => (
    <p id={`cred-${k}-err`} class="form-error">
      {errors[k]}
    </p>
  );
  return (
    <form class="form card-form" onSubmit={submit} noValidate aria-labelledby="new-cred">
      <h2 id="new-cred">{t("credNew")}</h2>
      <fieldset>
        <legend>{t("credPurpose")}</legend>
        {["personal", "seal"].map((p) => (
          <label key={p} class="check">
            <input type="radio" name="cred-purpose" checked={v.purpose === p} onChange={() => setV({ ...v, purpose: p })} /> {t(`credPurpose_${p}`)}
          </label>
        ))}
      </fieldset>
      {v.purpose === "personal" && (
        <>
          <label for="cred-user">{t("credUser")}</label>
          <select id="cred-user" value={v.user_id} onChange={set("user_id")} aria-describedby="cred-user_id-err" aria-invalid={Boolean(errors.user_id)}>
            <option value="">{t("choosePerson")}</option>
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.full_name} ({u.username})
              </option>
            ))}
          </select>
          {err("user_id")}
        </>
      )}
      <label for="cred-provider">{t("credProvider")}</label>
      <select id="cred-provider" value={v.provider} onChange={set("provider")}>
        {["pkcs12", "pkcs11", "csc"].map((p) => (
          <option key={p} value={p}>
            {t(`credProvider_${p}`)}
          </option>
        ))}
      </select>
      <label for="cred-ref">{t("credRef")}</label>
      <input id="cred-ref" value={v.credential_ref} maxLength={255} onInput={set("credential_ref")} aria-describedby="cred-ref-help cred-credential_ref-err" aria-invalid={Boolean(errors.credential_ref)} />
      <p id="cred-ref-help" class="help">
        {t("credRefHelp")}
      </p>
      {err("credential_ref")}
      <label for="cred-cert">{t("credCert")}</label>
      <textarea id="cred-cert" class="mono" rows={6} value={v.certificate} onInput={set("certificate")} aria-describedby="cred-certificate-err" aria-invalid={Boolean(errors.certificate)} />
      {err("certificate")}
      <label for="cred-cert-file">{t("credCertFile")}</label>
      <input id="cred-cert-file" type="file" accept=".pem,.crt,.cer,application/x-pem-file" onChange={readFile} />
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {Object.values(errors).some(Boolean) && (
        <p class="form-error" role="alert">
          {Object.values(errors).filter(Boolean).join(" ")}
        </p>
      )}
      <button type="submit" class="button button-primary" disabled={busy}>
        {t("credRegister")}
      </button>
    </form>
  );
}

const LEVELS = ["B-B", "B-T", "B-LT", "B-LTA"];

export function SigningLevel({ auth }) {
  const orgId = orgOf(auth.user);
  const [s, setS] = useState(/** @type {any} */ (null));
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    request(E.signingSettings, [orgId]).then(setS, (err) => setError(problemText(err)));
  }, []);
  if (error && !s) return <ErrorBox text={error} />;
  if (!s) return <Spinner />;
  const save = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      setS(await request(E.signingSettingsSave, [orgId], { body: { digital_signing: s.digital_signing, signature_level: s.signature_level } }));
      toast(t("levelSaved"), "success");
    } catch (err) {
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="screen">
      <h1>{t("signingLevelTitle")}</h1>
      <form class="form" onSubmit={save}>
        <label class="check toggle-row">
          <input type="checkbox" checked={s.digital_signing} onChange={() => setS({ ...s, digital_signing: !s.digital_signing })} />
          <span>{t("digitalSigning")}</span>
        </label>
        <p class="help">{t("digitalSigningHelp")}</p>
        <fieldset>
          <legend>{t("signatureLevel")}</legend>
          {LEVELS.map((l) => (
            <label key={l} class="check toggle-row">
              <input type="radio" name="sig-level" checked={s.signature_level === l} onChange={() => setS({ ...s, signature_level: l })} />
              <span>{t(`level_${l.replace(/-/g, "_")}`)}</span>
            </label>
          ))}
        </fieldset>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="button button-primary" disabled={busy}>
          {t("save")}
        </button>
      </form>
    </section>
  );
}
