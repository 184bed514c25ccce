// Tùy chọn thông báo: the kinds not pushed to the phone (they stay in the notification
// centre) and quiet hours (urgent documents still come through).
import { useEffect, useState } from "preact/hooks";
import { request } from "../../api.js";
import { E } from "../../endpoints.js";
import { problemText, t } from "../../i18n.js";
import { ErrorBox, Spinner, toast } from "../../ui.jsx";
import { KIND_GROUPS } from "../../strings/personal.js";

export function NotificationSettings() {
  const [prefs, setPrefs] = useState(/** @type {any} */ (null));
  const [error, setError] = useState("");
  const [quiet, setQuiet] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    request(E.preferences)
      .then((p) => {
        setPrefs({ muted: new Set(p.muted_kinds || []), start: p.quiet_start || "22:00", end: p.quiet_end || "06:00" });
        setQuiet(Boolean(p.quiet_start && p.quiet_end));
      })
      .catch((err) => setError(problemText(err)));
  }, []);
  if (error && !prefs) return <ErrorBox text={error} />;
  if (!prefs) return <Spinner />;

  const flip = (kind) => {
    const muted = new Set(prefs.muted);
    if (muted.has(kind)) muted.delete(kind);
    else muted.add(kind);
    setPrefs({ ...prefs, muted });
  };
  const save = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      await request(E.preferencesSave, [], {
        body: { muted_kinds: [...prefs.muted], quiet_start: quiet ? prefs.start : null, quiet_end: quiet ? prefs.end : null },
      });
      toast(t("prefsSaved"), "success");
    } catch (err) {
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="screen settings">
      <h1>{t("notifTitle")}</h1>
      <form class="form" onSubmit={save}>
        <p class="muted">{t("notifLead")}</p>
        {Object.entries(KIND_GROUPS).map(([group, kinds]) => (
          <fieldset key={group} class="kind-group">
            <legend>{t(`notifGroup_${group}`)}</legend>
            {kinds.map((k) => (
              <label key={k} class="check toggle-row">
                <input type="checkbox" checked={!prefs.muted.has(k)} onChange={() => flip(k)} />
                <span>{t(`kind_${k}`)}</span>
              </label>
            ))}
          </fieldset>
        ))}
        <fieldset class="kind-group">
          <legend>{t("quietHours")}</legend>
          <p class="help">{t("quietHelp")}</p>
          <label class="check toggle-row">
            <input type="checkbox" checked={quiet} onChange={() => setQuiet(!quiet)} />
            <span>{t("quietOn")}</span>
          </label>
          {quiet && (
            <div class="form-row">
              <div>
                <label for="quiet-from">{t("quietFrom")}</label>
                <input id="quiet-from" type="time" value={prefs.start} onInput={(e) => setPrefs({ ...prefs, start: e.currentTarget.value })} />
              </div>
              <div>
                <label for="quiet-to">{t("quietTo")}</label>
                <input id="quiet-to" type="time" value={prefs.end} onInput={(e) => setPrefs({ ...prefs, end: e.currentTarget.value })} />
              </div>
            </div>
          )}
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
