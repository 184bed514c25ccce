import { useEffect, useState } from "preact/hooks";
import { logout } from "../api.js";
import { problemText, t } from "../i18n.js";
import { disablePush, enablePush, pushState } from "../push.js";
import { dropItem, listQueue, onQueueChange } from "../queue.js";
import { may } from "../roles.js";
import { Link, toast } from "../ui.jsx";
import { LangSwitch } from "./Login.jsx";
import { pushErrorText } from "./PushPrompt.jsx";
import "../strings/settings.js";

export function Settings({ auth, roles }) {
  const [push, setPush] = useState("");
  const [queue, setQueue] = useState(/** @type {any[]} */ ([]));
  useEffect(() => {
    pushState().then(setPush);
    listQueue().then(setQueue);
    return onQueueChange(() => listQueue().then(setQueue));
  }, []);
  const user = auth.user || {};
  const membership = user.memberships?.[0];

  const toggle = async () => {
    try {
      if (push === "on") await disablePush();
      else await enablePush();
    } catch (err) {
      toast(pushErrorText(err), "error");
    }
    setPush(await pushState());
  };

  return (
    <section class="screen settings">
      <h1>{t("settings")}</h1>
      <h2>{t("account")}</h2>
      <p>
        <strong>{user.full_name}</strong>
        {membership?.position_title && <> — {membership.position_title}</>}
        <br />
        <span class="muted">{membership?.organisation_name}</span>
      </p>

      <h2>{t("language")}</h2>
      <LangSwitch />

      <h2>{t("pushTitle")}</h2>
      <p class="muted" role="status">
        {push === "on"
          ? t("pushOn")
          : push === "denied"
            ? t("pushDenied")
            : push === "unsupported"
              ? t("pushUnsupported")
              : t("pushOff")}
      </p>
      {(push === "on" || push === "off" || push === "default") && (
        <button type="button" class="button" onClick={toggle}>
          {push === "on" ? t("pushDisable") : t("pushEnable")}
        </button>
      )}

      {queue.length > 0 && (
        <>
          <h2>{t("queueTitle")}</h2>
          <ul class="plain-list">
            {queue.map((q) => (
              <li key={q.id}>
                <Link href={`/documents/${q.documentId}`}>{q.subject || `#${q.documentId}`}</Link>{" "}
                <span class="mark mark-pending">{q.state === "pending" ? t("pendingSend") : "!"}</span>{" "}
                <button type="button" class="link-button" onClick={() => dropItem(q.id)}>
                  {t("drop")}
                </button>
              </li>
            ))}
          </ul>
        </>
      )}

      <h2>{t("settingsMore")}</h2>
      <ul class="menu-list">
        {[
          ["/settings/signing", "settingsSigning"],
          ["/settings/notifications", "settingsNotifications"],
          ["/settings/phrases", "settingsPhrases"],
          may.delegate(roles) && ["/delegations", "settingsDelegations"],
          ["/devices", "manageDevices"],
          ["/validate", "settingsValidate"],
        ]
          .filter(Boolean)
          .map(([href, label]) => (
            <li key={href}>
              <Link href={href} class="menu-item">
                <span>{t(label)}</span>
              </Link>
            </li>
          ))}
      </ul>

      <div class="spacer" />
      <button type="button" class="button button-danger button-block" onClick={() => logout()}>
        {t("signOut")}
      </button>
    </section>
  );
}
