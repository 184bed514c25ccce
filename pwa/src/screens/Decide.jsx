// The sheets of the document view: a text (approve, return, instruction, reply), forward,
// and the offline queue's notice for this document.
import { useEffect, useState } from "preact/hooks";
import { load, request } from "../api.js";
import { E } from "../endpoints.js";
import { problemText, t } from "../i18n.js";
import { dropItem, retryItem } from "../queue.js";
import { Sheet, toast } from "../ui.jsx";
import "../strings/doc.js";

export const ACTION_NAME = {
  approve: "actApprove",
  return: "actReturn",
  instruction: "actInstruction",
  forward: "actForward",
};

// -- decision sheets ----------------------------------------------------------------------

export function TextSheet({ title, label, required, warning, phrases, submit, danger, onClose, onSubmit }) {
  const [text, setText] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [quick, setQuick] = useState(/** @type {any[]} */ ([]));
  useEffect(() => {
    if (phrases) load(E.quickPhrases).then((r) => setQuick(r.data || [])).catch(() => {});
  }, []);
  const go = async (e) => {
    e.preventDefault();
    if (required && !text.trim()) {
      setError(required);
      return;
    }
    setBusy(true);
    setError("");
    try {
      await onSubmit(text.trim());
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
    }
  };
  return (
    <Sheet title={title} onClose={onClose} labelledBy="decide-title">
      <form class="form" onSubmit={go} novalidate>
        {quick.length > 0 && (
          <div class="phrases" role="group" aria-label={t("quickPhrases")}>
            {quick.map((p) => (
              <button
                type="button"
                class="chip-button"
                key={p.id ?? p.text}
                onClick={() => setText((old) => (old.trim() ? `${old.trim()} ${p.text}` : p.text))}
              >
                {p.text}
              </button>
            ))}
          </div>
        )}
        <label for="decide-text">{label}</label>
        <textarea
          id="decide-text"
          rows={4}
          maxLength={4000}
          required={Boolean(required)}
          aria-invalid={Boolean(error)}
          aria-describedby={error ? "decide-error" : undefined}
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        {warning && <p class="help">{warning}</p>}
        {error && (
          <p class="form-error" id="decide-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class={`button button-block ${danger ? "button-danger" : "button-primary"}`} disabled={busy}>
          {submit}
        </button>
      </form>
    </Sheet>
  );
}

export function ForwardSheet({ orgId, meId, onClose, onSubmit }) {
  const [people, setPeople] = useState(/** @type {any[]} */ ([]));
  const [to, setTo] = useState("");
  const [comment, setComment] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (orgId) {
      load(E.users, [orgId])
        .then((r) => setPeople((r.data || []).filter((u) => u.id !== meId && u.active !== false)))
        .catch((e) => setError(problemText(e)));
    }
  }, []);
  const person = people.find((p) => String(p.id) === to);
  const go = async (e) => {
    e.preventDefault();
    if (!person) return setError(t("choosePerson"));
    setBusy(true);
    try {
      await onSubmit({ to_user_id: person.id, comment: comment.trim() });
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
    }
  };
  const title = (u) => u.memberships?.[0]?.position_title;
  return (
    <Sheet title={t("forwardTitle")} onClose={onClose} labelledBy="forward-title">
      <form class="form" onSubmit={go}>
        <label for="forward-to">{t("forwardTo")}</label>
        <select id="forward-to" value={to} onChange={(e) => setTo(e.currentTarget.value)} required>
          <option value="">{t("choosePerson")}</option>
          {people.map((u) => (
            <option key={u.id} value={u.id}>
              {u.full_name}
              {title(u) ? ` — ${title(u)}` : ""}
            </option>
          ))}
        </select>
        <label for="forward-comment">{t("commentOptional")}</label>
        <textarea id="forward-comment" rows={3} maxLength={4000} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
        {person && <p class="help">{t("forwardConfirm", { name: person.full_name })}</p>}
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="button button-primary button-block" disabled={busy}>
          {t("actForward")}
        </button>
      </form>
    </Sheet>
  );
}

// -- the offline queue, for this document -------------------------------------------------

export function QueueNotice({ item, doc, onChanged }) {
  const action = t(ACTION_NAME[item.action] || "actApprove");
  if (item.state === "pending") {
    return (
      <p class="notice notice-pending" role="status">
        <span class="mark mark-pending">{t("pendingSend")}</span> {t("queuedBanner", { action })}
      </p>
    );
  }
  const resend = async () => {
    try {
      const fresh = await request(E.document, [doc.id]);
      await retryItem(item.id, fresh.etag);
    } catch (err) {
      toast(problemText(err), "error");
    }
    onChanged();
  };
  return (
    <div class="notice notice-conflict" role="alert">
      <p>
        {t("conflictBanner", {
          action,
          detail: problemText({ status: item.problem?.status, code: item.problem?.code, detail: item.problem?.detail }),
        })}
      </p>
      <p class="help">{t("conflictHelp")}</p>
      <div class="row">
        <button type="button" class="button" onClick={resend}>
          {t("resend")}
        </button>
        <button type="button" class="button button-danger" onClick={() => dropItem(item.id).then(onChanged)}>
          {t("drop")}
        </button>
      </div>
    </div>
  );
}
