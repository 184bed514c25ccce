// Remote signing, one document or a batch, under one authorization:
// POST /api/signing-requests {document_ids} → 201 awaiting_authorization
// POST …/{id}/authorize {method, code} → 202 signing → poll GET …/{id} to completed|failed.
// With a passkey: POST …/{id}/passkey-options → navigator.credentials.get → authorize
// {method: "passkey", assertion}.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, request } from "../api.js";
import { E } from "../endpoints.js";
import { getAssertion, passkeySupported } from "../passkey.js";
import { problemText, t } from "../i18n.js";
import "../strings/doc.js";
import { Sheet } from "../ui.jsx";

const ITEM_LABEL = {
  pending: "itemPending",
  prepared: "itemPending",
  signing: "itemSigning",
  signed: "itemCompleted",
  completed: "itemCompleted",
  failed: "itemFailed",
};
const DONE_ITEM = new Set(["signed", "completed"]);
const FINAL = new Set(["completed", "failed"]);

export function SignFlow({ documents, onClose, onFinished }) {
  const [phase, setPhase] = useState("creating"); // creating | authorize | signing | finished | error
  const [req, setReq] = useState(/** @type {any} */ (null));
  const [method, setMethod] = useState("pin");
  const [hasPasskey, setHasPasskey] = useState(false);
  const [code, setCode] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const alive = useRef(true);
  useEffect(() => () => (alive.current = false), []);

  useEffect(() => {
    // a registered passkey on a browser that has WebAuthn: offered first
    if (passkeySupported()) {
      request(E.mySigning)
        .then((status) => {
          if (!alive.current || !(status?.passkeys > 0)) return;
          setHasPasskey(true);
          setMethod("passkey");
        })
        .catch(() => {});
    }
    if (!navigator.onLine) {
      setPhase("error");
      setError(t("signNeedsNetwork"));
      return;
    }
    request(E.signingCreate, [], { body: { document_ids: documents.map((d) => d.id) } })
      .then((r) => {
        setReq(r);
        setPhase(FINAL.has(r.state) ? "finished" : "authorize");
      })
      .catch((err) => {
        setPhase("error");
        setError(err instanceof ApiError && (err.status === 404 || err.status === 405) ? t("signUnavailable") : problemText(err));
      });
  }, []);

  const poll = async (id) => {
    let delay = 800;
    while (alive.current) {
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 1.5, 3000);
      try {
        const r = await request(E.signingGet, [id]);
        if (!alive.current) return;
        setReq(r);
        if (FINAL.has(r.state)) {
          setPhase("finished");
          onFinished?.(r);
          return;
        }
      } catch (err) {
        if (err instanceof ApiError && err.offline) continue; // keep polling when back
        setError(problemText(err));
        return;
      }
    }
  };

  const proof = async () => {
    if (method !== "passkey") return { method, code: code.trim() };
    const options = await request(E.signingPasskeyOptions, [req.id]);
    return { method, assertion: await getAssertion(options) };
  };

  const authorize = async (e) => {
    e.preventDefault();
    if (method !== "passkey" && !code.trim()) return setError(t("textRequired"));
    setBusy(true);
    setError("");
    try {
      let body;
      try {
        body = await proof();
      } catch (err) {
        // the person closed the fingerprint/face prompt
        if (err?.name === "NotAllowedError" || err?.name === "AbortError") return setError(t("passkeyCancelled"));
        throw err;
      }
      const r = await request(E.signingAuthorize, [req.id], { body });
      setReq((old) => ({ ...old, ...r, items: r.items || old.items }));
      setPhase("signing");
      poll(req.id);
    } catch (err) {
      setError(problemText(err));
      setCode("");
    } finally {
      setBusy(false);
    }
  };

  const subjects = new Map(documents.map((d) => [d.id, d.subject]));
  const items = req?.items || documents.map((d) => ({ document_id: d.id, state: "pending" }));
  const ok = items.filter((i) => DONE_ITEM.has(i.state)).length;
  const failed = items.filter((i) => i.state === "failed").length;
  const title = documents.length > 1 ? t("signBatchTitle", { n: documents.length }) : t("signTitle");

  return (
    <Sheet title={title} onClose={onClose} labelledBy="sign-title">
      {phase === "creating" && <p role="status">{t("signPreparing")}</p>}
      {phase === "authorize" && (
        <form class="form" onSubmit={authorize}>
          <fieldset>
            <legend>{t("signMethod")}</legend>
            <label class="check">
              <input type="radio" name="method" value="pin" checked={method === "pin"} onChange={() => setMethod("pin")} />
              <span>{t("methodPin")}</span>
            </label>
            <label class="check">
              <input type="radio" name="method" value="totp" checked={method === "totp"} onChange={() => setMethod("totp")} />
              <span>{t("methodTotp")}</span>
            </label>
            {hasPasskey && (
              <label class="check">
                <input
                  type="radio"
                  name="method"
                  value="passkey"
                  checked={method === "passkey"}
                  onChange={() => setMethod("passkey")}
                />
                <span>{t("methodPasskey")}</span>
              </label>
            )}
          </fieldset>
          {method !== "passkey" && (
            <>
              <label for="sign-code">{t("code")}</label>
              <input
                id="sign-code"
                type="password"
                inputMode="numeric"
                autocomplete="one-time-code"
                value={code}
                onInput={(e) => setCode(e.currentTarget.value)}
              />
            </>
          )}
          {error && (
            <p class="form-error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" class="button button-primary button-block" disabled={busy}>
            {busy ? t("signSigning") : method === "passkey" ? t("passkeyConfirm") : t("signNow")}
          </button>
        </form>
      )}
      {phase === "error" && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {(phase === "signing" || phase === "finished" || (phase === "authorize" && items.some((i) => i.reason))) && (
        <>
          {phase === "signing" && <p role="status">{t("signSigning")}</p>}
          {phase === "finished" && (
            <p role="status" class={failed ? "form-error" : "success"}>
              {failed ? t("signSummary", { ok, failed }) : t("signCompleted")}
            </p>
          )}
          {phase !== "finished" && error && (
            <p class="form-error" role="alert">
              {error}
            </p>
          )}
          <progress max={items.length} value={ok + failed} aria-label={t("signSigning")} />
          <ul class="sign-items">
            {items.map((i) => (
              <li key={i.document_id} class={`sign-item sign-${DONE_ITEM.has(i.state) ? "completed" : i.state}`}>
                <span class="sign-state">{t(ITEM_LABEL[i.state] || "itemPending")}</span>
                <span>{subjects.get(i.document_id) || `#${i.document_id}`}</span>
                {i.reason && <span class="muted">{i.reason}</span>}
              </li>
            ))}
          </ul>
        </>
      )}
    </Sheet>
  );
}
