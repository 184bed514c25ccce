// Ký số — how I confirm a signature: the signing PIN (set or changed with the account
// password), an authenticator app enrolled with a QR code and a first code, passkeys;
// and the certificate the administrator registered for me.
import { useEffect, useState } from "preact/hooks";
import { request } from "../../api.js";
import { E } from "../../endpoints.js";
import { fmtDate, fmtDateTime, problemText, t } from "../../i18n.js";
import { Spinner, toast } from "../../ui.jsx";
import { Passkeys } from "../Passkeys.jsx";
import "../../strings/personal.js";

export function SigningSettings() {
  const [status, setStatus] = useState(/** @type {any} */ (null));
  const [tick, setTick] = useState(0);
  useEffect(() => {
    request(E.mySigning).then(setStatus, () => setStatus({}));
  }, [tick]);
  const refresh = () => setTick(tick + 1);
  const cred = status?.credential;
  return (
    <section class="screen settings">
      <h1>{t("signingTitle")}</h1>
      <p class="muted">{t("signingLead")}</p>
      {!status && <Spinner />}
      {status && (
        <dl class="meta">
          <dt>{t("signingStatusPin")}</dt>
          <dd>{status.pin_set ? <span class="mark mark-ok">{t("statusSet")}</span> : t("statusNotSet")}</dd>
          <dt>{t("signingStatusTotp")}</dt>
          <dd>{status.totp_enabled ? <span class="mark mark-ok">{t("statusOn")}</span> : t("statusNotSet")}</dd>
          <dt>{t("myCertificate")}</dt>
          <dd>
            {cred ? t("certValidUntil", { subject: cred.subject || "", date: fmtDate((cred.not_after || "").slice(0, 10)) }) : t("noCertificate")}
            {cred?.expiring_soon && <span class="mark mark-overdue"> {t("expiresInDays", { n: cred.days_left })}</span>}
          </dd>
        </dl>
      )}
      {status?.locked_until && <p class="notice notice-conflict">{t("lockedUntil", { time: fmtDateTime(status.locked_until) })}</p>}
      <PinForm onSaved={refresh} />
      <Totp enabled={Boolean(status?.totp_enabled)} onDone={refresh} />
      <Passkeys />
    </section>
  );
}

function PinForm({ onSaved }) {
  const [password, setPassword] = useState("");
  const [pin, setPin] = useState("");
  const [again, setAgain] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    if (!password) return setError(t("passwordRequired"));
    if (!/^[0-9]{6,12}$/.test(pin)) return setError(t("pinFormat"));
    if (pin !== again) return setError(t("pinMismatch"));
    setBusy(true);
    setError("");
    try {
      await request(E.signingPin, [], { body: { password, pin } });
      setPassword("");
      setPin("");
      setAgain("");
      toast(t("pinSaved"), "success");
      onSaved();
    } catch (err) {
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="form" onSubmit={submit} noValidate aria-labelledby="pin-title">
      <h2 id="pin-title">{t("pinTitle")}</h2>
      <label for="pin-password">{t("accountPassword")}</label>
      <input id="pin-password" type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
      <label for="pin-new">{t("pinNew")}</label>
      <input id="pin-new" type="password" inputMode="numeric" autocomplete="new-password" maxLength={12} value={pin} onInput={(e) => setPin(e.currentTarget.value)} />
      <label for="pin-again">{t("pinRepeat")}</label>
      <input id="pin-again" type="password" inputMode="numeric" autocomplete="new-password" maxLength={12} value={again} onInput={(e) => setAgain(e.currentTarget.value)} />
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="button" disabled={busy}>
        {t("pinSave")}
      </button>
    </form>
  );
}

function Totp({ enabled, onDone }) {
  const [password, setPassword] = useState("");
  const [started, setStarted] = useState(/** @type {any} */ (null));
  const [code, setCode] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const start = async (e) => {
    e.preventDefault();
    if (!password) return setError(t("passwordRequired"));
    setBusy(true);
    setError("");
    try {
      const answer = await request(E.totpStart, [], { body: { password } });
      const { encode } = await import("uqr"); // loaded only for this
      setStarted({ ...answer, qr: encode(answer.otpauth_uri, { ecc: "M", border: 2 }) });
      setPassword("");
    } catch (err) {
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  };
  const confirm = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      await request(E.totpConfirm, [], { body: { code: code.trim() } });
      setStarted(null);
      setCode("");
      toast(t("totpDone"), "success");
      onDone();
    } catch (err) {
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="totp-title">
      <h2 id="totp-title">{t("totpTitle")}</h2>
      {!started ? (
        <form class="form" onSubmit={start} noValidate>
          <label for="totp-password">{t("accountPassword")}</label>
          <input id="totp-password" type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          {error && (
            <p class="form-error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" class="button" disabled={busy}>
            {enabled ? t("totpRestart") : t("totpStart")}
          </button>
        </form>
      ) : (
        <form class="form" onSubmit={confirm} noValidate>
          <p>{t("totpScan")}</p>
          <QrCode qr={started.qr} label={t("totpQr")} />
          <p class="small">
            {t("totpSecret")} <code class="secret">{started.secret.replace(/(.{4})/g, "$1 ").trim()}</code>
          </p>
          <p class="small">
            <a href={started.otpauth_uri}>{t("totpOpen")}</a>
          </p>
          <label for="totp-code">{t("totpCode")}</label>
          <input id="totp-code" inputMode="numeric" autocomplete="one-time-code" maxLength={8} value={code} onInput={(e) => setCode(e.currentTarget.value)} />
          {error && (
            <p class="form-error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" class="button button-primary" disabled={busy || code.trim().length < 6}>
            {t("totpConfirm")}
          </button>
        </form>
      )}
    </section>
  );
}

/** The QR code's modules as one SVG path (no canvas, nothing injected). */
function QrCode({ qr, label }) {
  let d = "";
  qr.data.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (dark) d += `M${x} ${y}h1v1h-1z`;
    }),
  );
  return (
    <svg class="qr" viewBox={`0 0 ${qr.size} ${qr.size}`} role="img" aria-label={label} shape-rendering="crispEdges">
      <rect width={qr.size} height={qr.size} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
