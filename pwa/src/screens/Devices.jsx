import { useEffect, useState } from "preact/hooks";
import { logout, request } from "../api.js";
import { E } from "../endpoints.js";
import { fmtDateTime, problemText, t } from "../i18n.js";
import { ErrorBox, Spinner, toast } from "../ui.jsx";
import "../strings/settings.js";

export function Devices() {
  const [devices, setDevices] = useState(/** @type {any[]|null} */ (null));
  const [error, setError] = useState("");
  const [confirming, setConfirming] = useState(/** @type {number|null} */ (null));
  const [tick, setTick] = useState(0);

  useEffect(() => {
    setError("");
    request(E.devices)
      .then(setDevices)
      .catch((err) => setError(problemText(err)));
  }, [tick]);

  const revoke = async (d) => {
    try {
      await request(E.revokeDevice, [d.id]);
      if (d.current) {
        await logout();
        return;
      }
      setConfirming(null);
      setTick(tick + 1);
    } catch (err) {
      toast(problemText(err), "error");
    }
  };

  return (
    <section class="screen">
      <h1>{t("devices")}</h1>
      {error && <ErrorBox text={error} onRetry={() => setTick(tick + 1)} />}
      {devices === null && !error && <Spinner />}
      <ul class="device-list">
        {devices?.map((d) => (
          <li key={d.id} class={`device${d.active ? "" : " device-revoked"}`}>
            <p class="device-name">
              {d.name} {d.current && <span class="mark mark-ok">{t("thisDevice")}</span>}
              {!d.active && <span class="mark mark-status">{t("revoked")}</span>}
            </p>
            <p class="muted small">{d.user_agent}</p>
            <p class="muted small">{t("lastSeen", { time: fmtDateTime(d.last_seen_at || d.created_at) })}</p>
            {d.active &&
              (confirming === d.id ? (
                <div class="confirm" role="alert">
                  <p>{d.current ? t("revokeSelfConfirm") : t("revokeConfirm", { name: d.name })}</p>
                  <div class="row">
                    <button type="button" class="button button-danger" onClick={() => revoke(d)}>
                      {t("revoke")}
                    </button>
                    <button type="button" class="button" onClick={() => setConfirming(null)}>
                      {t("cancel")}
                    </button>
                  </div>
                </div>
              ) : (
                <button type="button" class="button" onClick={() => setConfirming(d.id)} aria-label={`${t("revoke")}: ${d.name}`}>
                  {t("revoke")}
                </button>
              ))}
          </li>
        ))}
      </ul>
    </section>
  );
}
