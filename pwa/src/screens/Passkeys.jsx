// Khóa truy cập: register this phone's passkey (after the account password), list and
// remove them. A registered passkey is then offered first when signing.
import { useEffect, useState } from "preact/hooks";
import { request } from "../api.js";
import { E } from "../endpoints.js";
import { fmtDateTime, problemText, t } from "../i18n.js";
import { createPasskey, passkeySupported } from "../passkey.js";
import { toast } from "../ui.jsx";
import { defaultDeviceName } from "./Login.jsx";
import "../strings/settings.js";

export function Passkeys() {
  const supported = passkeySupported();
  const [keys, setKeys] = useState(/** @type {any[]|null} */ (null));
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const refresh = () =>
    request(E.passkeys)
      .then(setKeys)
      .catch(() => setKeys([]));
  useEffect(() => {
    refresh();
  }, []);

  const add = async (e) => {
    e.preventDefault();
    if (!password) return setError(t("textRequired"));
    setBusy(true);
    setError("");
    try {
      const options = await request(E.passkeyOptions, [], { body: { password } });
      let credential;
      try {
        credential = await createPasskey(options);
      } catch (err) {
        if (err?.name === "NotAllowedError" || err?.name === "AbortError") return setError(t("passkeyCancelled"));
        throw err;
      }
      await request(E.passkeyAdd, [], { body: { credential, name: defaultDeviceName().slice(0, 100) } });
      setPassword("");
      toast(t("passkeyAdded"));
      refresh();
    } catch (err) {
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (id) => {
    try {
      await request(E.passkeyRemove, [id]);
      refresh();
    } catch (err) {
      toast(problemText(err), "error");
    }
  };

  return (
    <>
      <h2>{t("passkeyTitle")}</h2>
      <p class="muted">{t("passkeyHelp")}</p>
      {keys && keys.length === 0 && <p class="muted">{t("passkeyNone")}</p>}
      {keys && keys.length > 0 && (
        <ul class="plain-list passkeys">
          {keys.map((k) => (
            <li key={k.id}>
              <strong>{k.name}</strong>
              {k.last_used_at && (
                <span class="muted small"> — {t("passkeyLastUsed", { time: fmtDateTime(k.last_used_at) })}</span>
              )}{" "}
              <button
                type="button"
                class="link-button"
                aria-label={`${t("passkeyRemove")}: ${k.name}`}
                onClick={() => remove(k.id)}
              >
                {t("passkeyRemove")}
              </button>
            </li>
          ))}
        </ul>
      )}
      {supported ? (
        <form class="form" onSubmit={add}>
          <label for="passkey-password">{t("accountPassword")}</label>
          <input
            id="passkey-password"
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          {error && (
            <p class="form-error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" class="button" disabled={busy}>
            {t("passkeyAdd")}
          </button>
        </form>
      ) : (
        <p class="muted">{t("passkeyUnsupported")}</p>
      )}
    </>
  );
}
