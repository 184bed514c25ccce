import { useState } from "preact/hooks";
import { problemText, t } from "../i18n.js";
import { enablePush } from "../push.js";
import { Sheet, toast } from "../ui.jsx";
import "../strings/settings.js";

/** Offered after the user's first decision (never on first load), or from Settings. */
export function PushPrompt({ onClose }) {
  const [busy, setBusy] = useState(false);
  const enable = async () => {
    setBusy(true);
    try {
      const result = await enablePush();
      toast(result === "on" ? t("pushEnabled") : t("pushDenied"), result === "on" ? "success" : "info");
    } catch (err) {
      toast(pushErrorText(err), "error");
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

/** What failed when switching push on, in words (the push service is not "the network"). */
export function pushErrorText(err) {
  if (err?.name !== "PushError") return problemText(err);
  if (err.step === "worker") return t("pushFailWorker");
  if (err.step === "subscribe") return t("pushFailSubscribe", { name: err.cause?.name || err.cause?.message || "?" });
  return t("pushFailServer", { detail: problemText(err.cause) });
}
