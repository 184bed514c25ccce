import { useState } from "preact/hooks";
import { login } from "../api.js";
import { getLang, problemText, setLang, t } from "../i18n.js";

/** A readable default device name from the user agent, e.g. "Chrome trên Android". */
export function defaultDeviceName(ua = navigator.userAgent) {
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /SamsungBrowser/.test(ua)
      ? "Samsung Internet"
      : /Firefox\//.test(ua)
        ? "Firefox"
        : /Chrom(e|ium)\//.test(ua)
          ? "Chrome"
          : /Safari\//.test(ua)
            ? "Safari"
            : "Trình duyệt";
  const os = /iPhone/.test(ua)
    ? "iPhone"
    : /iPad/.test(ua)
      ? "iPad"
      : /Android/.test(ua)
        ? "Android"
        : /Windows/.test(ua)
          ? "Windows"
          : /Mac OS X/.test(ua)
            ? "Mac"
            : /Linux/.test(ua)
              ? "Linux"
              : "";
  const on = getLang() === "vi" ? "trên" : "on";
  return os ? `${browser} ${on} ${os}` : browser;
}

export function LangSwitch() {
  const lang = getLang();
  return (
    <div class="lang-switch" role="group" aria-label={t("language")}>
      <button type="button" class="chip-button" aria-pressed={lang === "vi"} lang="vi" onClick={() => setLang("vi")}>
        Tiếng Việt
      </button>
      <button type="button" class="chip-button" aria-pressed={lang === "en"} lang="en" onClick={() => setLang("en")}>
        English
      </button>
    </div>
  );
}

export function Login({ onSignedIn, message }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [deviceName, setDeviceName] = useState(() => defaultDeviceName());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      const auth = await login(username.trim(), password, deviceName.trim() || defaultDeviceName());
      onSignedIn(auth);
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
    }
  };

  return (
    <main id="main" class="login">
      <div class="login-brand" aria-hidden="true">
        <img src="/icons/icon-192.png" alt="" width="72" height="72" />
      </div>
      <h1>{t("signInTitle")}</h1>
      <p class="muted">{t("signInLead")}</p>
      {message && (
        <p class="notice" role="status">
          {message}
        </p>
      )}
      <form onSubmit={submit} class="form" novalidate={false}>
        <label for="username">{t("username")}</label>
        <input
          id="username"
          name="username"
          autocomplete="username"
          autocapitalize="none"
          spellcheck={false}
          required
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
        />
        <label for="password">{t("password")}</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <label for="device-name">{t("deviceName")}</label>
        <input
          id="device-name"
          name="device_name"
          required
          maxLength={120}
          aria-describedby="device-help"
          value={deviceName}
          onInput={(e) => setDeviceName(e.currentTarget.value)}
        />
        <p id="device-help" class="help">
          {t("deviceNameHelp")}
        </p>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="button button-primary button-block" disabled={busy}>
          {busy ? t("signingIn") : t("signIn")}
        </button>
      </form>
      <LangSwitch />
    </main>
  );
}
