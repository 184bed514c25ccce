// Nhật ký hệ thống: the hash chain verified now (the whole installation's chain: an edited
// or deleted event anywhere shows here), then the agency's events, newest first.
import { useEffect, useState } from "preact/hooks";
import { load, request } from "../../api.js";
import { E } from "../../endpoints.js";
import { fmtDateTime, problemText, t } from "../../i18n.js";
import { orgOf } from "../../roles.js";
import { ErrorBox, Spinner } from "../../ui.jsx";
import { usePaged } from "../paged.js";
import "../../strings/admin.js";
import "./admin.css";

// the server's reasons (backend/audit/service.py), in plain Vietnamese where we have them
const REASONS = {
  "missing (deleted)": "reason_missing",
  "link to the previous event broken": "reason_link",
  "content does not match its keyed hash (changed, or rehashed without the key)": "reason_changed",
};

export function Audit({ auth, desk }) {
  const orgId = orgOf(auth.user);
  const [chain, setChain] = useState(/** @type {any} */ (null));
  const [chainError, setChainError] = useState("");
  const [people, setPeople] = useState(/** @type {Map<number,string>} */ (new Map()));
  const list = usePaged(E.audit, [], { organisation_id: orgId, limit: 50 }, [orgId]);
  const verify = () => {
    setChain(null);
    setChainError("");
    request(E.auditVerify, [], { query: { organisation_id: orgId } }).then(setChain, (err) => setChainError(problemText(err)));
  };
  useEffect(() => {
    verify();
    load(E.users, [orgId]).then((r) => setPeople(new Map(r.data.map((u) => [u.id, u.full_name]))), () => {});
  }, []);
  const who = (id) => (id ? people.get(id) || `#${id}` : t("auditSystem"));
  return (
    <section class="screen">
      <h1>{t("auditTitle")}</h1>
      <div role="status" aria-live="polite">
        {!chain && !chainError && <p class="muted">{t("auditVerifying")}</p>}
        {chainError && <ErrorBox text={chainError} onRetry={verify} />}
        {chain && (
          <p class={chain.ok ? "chain-ok" : "chain-broken"}>
            {chain.ok
              ? t("auditChainOk", { n: chain.checked, time: fmtDateTime(chain.verified_at) })
              : t("auditChainBroken", {
                  seq: chain.broken_at,
                  reason: REASONS[chain.reason] ? t(REASONS[chain.reason]) : chain.reason,
                  n: chain.checked,
                  time: fmtDateTime(chain.verified_at),
                })}
          </p>
        )}
        {chain && chain.breaks?.length > 1 && (
          <ul class="chain-breaks">
            {chain.breaks.map((b) => (
              <li key={b}>{b}</li>
            ))}
          </ul>
        )}
      </div>
      {chain && (
        <button type="button" class="button" onClick={verify}>
          {t("auditVerifyAgain")}
        </button>
      )}
      <div aria-busy={list.loading}>
        {desk ? (
          <div class="table-wrap">
            <table class="admin-table">
              <thead>
                <tr>
                  <th scope="col">{t("auditSeq")}</th>
                  <th scope="col">{t("eventWhen")}</th>
                  <th scope="col">{t("auditActor")}</th>
                  <th scope="col">{t("auditAction")}</th>
                  <th scope="col">{t("auditObject")}</th>
                </tr>
              </thead>
              <tbody>
                {list.items.map((e) => (
                  <tr key={e.seq}>
                    <td>{e.seq}</td>
                    <td>{fmtDateTime(e.occurred_at)}</td>
                    <td>{who(e.actor_id)}</td>
                    <td class="mono">{e.action}</td>
                    <td>
                      {e.object_type} {e.object_id}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <ol class="plain-list">
            {list.items.map((e) => (
              <li key={e.seq}>
                <p>
                  <span class="mono">{e.action}</span> · {e.object_type} {e.object_id}
                </p>
                <p class="muted small">
                  #{e.seq} · {fmtDateTime(e.occurred_at)} · {who(e.actor_id)}
                </p>
              </li>
            ))}
          </ol>
        )}
        {list.loading && <Spinner />}
        {list.error && <ErrorBox text={list.error} onRetry={list.reload} />}
        {!list.loading && list.cursor && (
          <button type="button" class="button button-block" onClick={list.more}>
            {t("loadMore")}
          </button>
        )}
      </div>
    </section>
  );
}
