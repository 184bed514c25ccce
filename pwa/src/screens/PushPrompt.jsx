import { useState } from "preact/hooks";
import { problemText, t } from "../i18n.js";
import { enablePush } from "../push.js";
import { Sheet, toast } from "../ui.jsx";

/** Offered after the user's first decision (never on first load), or from Settings. */
export function PushPrompt({ onClose }) {
  const [busy, setBusy] = useState(false);
  const enable = async () => {
    setBusy(true);
    try {
      const result = await enablePush();
      toast(result === "on" ? t("pushEnabled") : t("pushDenied"), result === "on" ? "success" : "info");
    } catch (err) {
      toast(problemText(err), "error");
    }
    onClose();
  };
  return (
    <Sheet title={t("pushAsk")} onClose={onClose} labelledBy="push-title">
      <p>{t("pushAskLead")}</p>
      <div class="stack">
        <button type="button" class="button button-primary button-block" disabled={busy} onClick={enable}>
          {t("pushEnable")}
        </button>
        <button type="button" class="button button-block" onClick={onClose}>
          {t("pushLater")}
        </button>
      </div>
    </Sheet>
  );
}
