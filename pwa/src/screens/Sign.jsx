// Remote signing, one document or a batch, under one authorization:
// POST /api/signing-requests {document_ids} → 201 awaiting_authorization
// POST …/{id}/authorize {method, code} → 202 signing → poll GET …/{id} to completed|failed.
// With a passkey: POST …/{id}/passkey-options → navigator.credentials.get → authorize
// {method: "passkey", assertion}.
// Documents whose items answer code needs-position (the signer's name is not printed in
// them) are placed by a tap on the page (SignPlace), then prepared in a second request
// with those placements; one confirmation authorizes both.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, request } from "../api.js";
import { E } from "../endpoints.js";
import { getAssertion, passkeySupported } from "../passkey.js";
import { problemText, t } from "../i18n.js";
import "../strings/doc.js";
import { Sheet } from "../ui.jsx";
import { SignPlace } from "./SignPlace.jsx";

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
const NEEDS_POSITION = "needs-position";

/** The items of every request, a later request's item replacing an earlier one's. */
function mergedItems(reqs, documents) {
  const byDoc = new Map(documents.map((d) => [d.id, { document_id: d.id, state: "pending" }]));
  for (const r of reqs) for (const i of r.items || []) byDoc.set(i.document_id, i);
  return [...byDoc.values()];
}

export function SignFlow({ documents, onClose, onFinished }) {
  // creating | place | authorize | signing | finished | error
  const [phase, setPhase] = useState("creating");
  const [reqs, setReqs] = useState(/** @type {any[]} */ ([]));
  const [toPlace, setToPlace] = useState(/** @type {any[]} */ ([]));
  const [placed, setPlaced] = useState(/** @type {any[]} */ ([]));
  const [method, setMethod] = useState("pin");
  const [hasPasskey, setHasPasskey] = useState(false);
  const [code, setCode] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const alive = useRef(true);
  useEffect(() => () => (alive.current = false), []);

  const subjects = new Map(documents.map((d) => [d.id, d.subject]));
  const needing = (items) =>
    (items || [])
      .filter((i) => i.code === NEEDS_POSITION)
      .map((i) => ({ ...i, subject: subjects.get(i.document_id) }));

  /** After the requests exist: place what needs it, then authorize what waits. */
  const next = (all, place) => {
    if (place.length) return setPhase("place");
    if (all.some((r) => r.state === "awaiting_authorization")) return setPhase("authorize");
    setPhase("finished");
  };

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
        const place = needing(r.items);
        setReqs([r]);
        setToPlace(place);
        next([r], place);
      })
      .catch((err) => {
        // nothing could be prepared: maybe only because the positions are missing
        const place = err instanceof ApiError ? needing(err.body?.items) : [];
        if (place.length) {
          // the refused items, shown as they are until the placed ones replace them
          const refused = { id: null, state: "failed", items: err.body.items.map((i) => ({ ...i, state: "failed" })) };
          setReqs([refused]);
          setToPlace(place);
          next([refused], place);
          return;
        }
        setPhase("error");
        setError(err instanceof ApiError && (err.status === 404 || err.status === 405) ? t("signUnavailable") : problemText(err));
      });
  }, []);

  const [skipped, setSkipped] = useState(0);
  const onSkip = () => {
    const count = skipped + 1;
    setSkipped(count);
    if (placed.length + count >= toPlace.length) finishPlacing(placed);
  };
  /** After the last document is placed (or skipped): prepare the placed ones. */
  const finishPlacing = async (done) => {
    if (!done.length) return next(reqs, []);
    setPhase("creating");
    try {
      const r = await request(E.signingCreate, [], {
        body: { document_ids: done.map((p) => p.document_id), placements: done },
      });
      const all = [...reqs, r];
      setReqs(all);
      next(all, []);
    } catch (err) {
      setPhase("error");
      setError(problemText(err));
    }
  };

  const poll = async (ids) => {
    let delay = 800;
    const open = new Set(ids);
    while (alive.current && open.size) {
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 1.5, 3000);
      for (const id of [...open]) {
        try {
          const r = await request(E.signingGet, [id]);
          if (!alive.current) return;
          setReqs((old) => old.map((o) => (o.id === id ? r : o)));
          if (FINAL.has(r.state)) {
            open.delete(id);
            if (!open.size) {
              setPhase("finished");
              onFinished?.(r);
            }
          }
        } catch (err) {
          if (err instanceof ApiError && err.offline) continue; // keep polling when back
          setError(problemText(err));
          return;
        }
      }
    }
  };

  const proof = async (id) => {
    if (method !== "passkey") return { method, code: code.trim() };
    const options = await request(E.signingPasskeyOptions, [id]);
    return { method, assertion: await getAssertion(options) };
  };

  const authorize = async (e) => {
    e.preventDefault();
    if (method !== "passkey" && !code.trim()) return setError(t("textRequired"));
    setBusy(true);
    setError("");
    try {
      const waiting = reqs.filter((r) => r.state === "awaiting_authorization");
      for (const r of waiting) {
        let body;
        try {
          body = await proof(r.id);
        } catch (err) {
          // the person closed the fingerprint/face prompt
          if (err?.name === "NotAllowedError" || err?.name === "AbortError") return setError(t("passkeyCancelled"));
          throw err;
        }
        const answer = await request(E.signingAuthorize, [r.id], { body });
        setReqs((old) => old.map((o) => (o.id === r.id ? { ...o, ...answer, items: answer.items || o.items } : o)));
      }
      setPhase("signing");
      poll(waiting.map((r) => r.id));
    } catch (err) {
      setError(problemText(err));
      setCode("");
    } finally {
      setBusy(false);
    }
  };

  const items = mergedItems(reqs, documents);
  const ok = items.filter((i) => DONE_ITEM.has(i.state)).length;
  const failed = items.filter((i) => i.state === "failed").length;
  const title = documents.length > 1 ? t("signBatchTitle", { n: documents.length }) : t("signTitle");

  return (
    <Sheet title={title} onClose={onClose} labelledBy="sign-title">
      {phase === "creating" && <p role="status">{t("signPreparing")}</p>}
      {phase === "place" && placed.length + skipped < toPlace.length && (
        <SignPlace
          key={toPlace[placed.length + skipped].document_id}
          document={toPlace[placed.length + skipped]}
          index={placed.length + skipped}
          count={toPlace.length}
          onPlaced={(p) => {
            const done = [...placed, p];
            setPlaced(done);
            if (done.length + skipped >= toPlace.length) finishPlacing(done);
          }}
          onSkip={onSkip}
        />
      )}
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
                {i.code === NEEDS_POSITION ? (
                  <span class="muted">{t("signNeedsPosition")}</span>
                ) : (
                  i.reason && <span class="muted">{i.reason}</span>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
    </Sheet>
  );
}
