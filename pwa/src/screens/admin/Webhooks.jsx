// Webhook: endpoints of other systems (one-stop portal, e-cabinet) told of document events.
// The secret is shown once, when the endpoint is added; an endpoint is switched on or off
// (the worker switches one off after repeated failures, saying why); its delivery log,
// with resend.
import { useEffect, useState } from "preact/hooks";
import { load, request } from "../../api.js";
import { E } from "../../endpoints.js";
import { fmtDateTime, problemText, t } from "../../i18n.js";
import { orgOf } from "../../roles.js";
import { ErrorBox, Link, navigate, Spinner, toast } from "../../ui.jsx";
import { usePaged } from "../paged.js";
import { WEBHOOK_EVENTS } from "../../strings/admin.js";
import "./admin.css";

const eventName = (e) => t(`event_${e.replace(".", "_")}`);

export function Webhooks({ auth }) {
  const orgId = orgOf(auth.user);
  const [items, setItems] = useState(/** @type {any[]|null} */ (null));
  const [error, setError] = useState("");
  const [tick, setTick] = useState(0);
  const [secret, setSecret] = useState(/** @type {any} */ (null));
  const [deleting, setDeleting] = useState(/** @type {number|null} */ (null));
  useEffect(() => {
    request(E.webhooks, [], { query: { organisation_id: orgId } })
      .then(setItems)
      .catch((err) => setError(problemText(err)));
  }, [tick]);
  const refresh = () => setTick(tick + 1);
  const patch = async (w, body) => {
    try {
      await request(E.webhookUpdate, [w.id], { body });
      refresh();
    } catch (err) {
      toast(problemText(err), "error");
    }
  };
  const remove = async (w) => {
    try {
      await request(E.webhookDelete, [w.id]);
      refresh();
    } catch (err) {
      toast(problemText(err), "error");
    }
  };
  if (error && !items) return <ErrorBox text={error} onRetry={refresh} />;
  if (!items) return <Spinner />;
  return (
    <section class="screen">
      <h1>{t("webhooksTitle")}</h1>
      {secret && <SecretOnce created={secret} onDone={() => setSecret(null)} />}
      {items.length === 0 && <p class="muted">{t("webhookNone")}</p>}
      {items.map((w) => (
        <article key={w.id} class="cred" aria-labelledby={`wh-${w.id}`}>
          <h2 id={`wh-${w.id}`} class="mono">
            {w.url}
          </h2>
          <p>
            <span class={`mark ${w.active ? "mark-ok" : "mark-status"}`}>{t(w.active ? "webhookOn" : "webhookOff")}</span> {w.description}
          </p>
          {w.disabled_at && <p class="notice notice-conflict">{t("webhookDisabledWhy", { time: fmtDateTime(w.disabled_at), reason: w.disabled_reason })}</p>}
          <p class="small">{w.events.map(eventName).join(", ")}</p>
          <div class="row">
            <button type="button" class="button" onClick={() => patch(w, { active: !w.active })} aria-label={`${t(w.active ? "webhookTurnOff" : "webhookTurnOn")}: ${w.url}`}>
              {t(w.active ? "webhookTurnOff" : "webhookTurnOn")}
            </button>
            <Link href={`/admin/webhooks/${w.id}`} class="button">
              {t("webhookDeliveries")}
            </Link>
            <button type="button" class="button button-danger" onClick={() => setDeleting(w.id)} aria-label={`${t("webhookDelete")}: ${w.url}`}>
              {t("webhookDelete")}
            </button>
          </div>
          {deleting === w.id && (
            <div class="confirm" role="alert">
              <p>{t("webhookDeleteConfirm")}</p>
              <div class="row">
                <button type="button" class="button button-danger" onClick={() => remove(w)}>
                  {t("webhookDelete")}
                </button>
                <button type="button" class="button" onClick={() => setDeleting(null)}>
                  {t("cancel")}
                </button>
              </div>
            </div>
          )}
        </article>
      ))}
      <NewWebhook
        orgId={orgId}
        onCreated={(created) => {
          setSecret(created);
          refresh();
        }}
      />
    </section>
  );
}

/** The secret, once: copied or written down now, never shown again. */
function SecretOnce({ created, onDone }) {
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.secret);
      toast(t("webhookSecretCopied"), "success");
    } catch {
      /* the text stays selectable */
    }
  };
  return (
    <div class="secret-box" role="alert" tabIndex={-1} ref={(el) => el?.focus()}>
      <h2>{t("webhookSecretTitle")}</h2>
      <p class="mono">{created.url}</p>
      <p>
        <code>{created.secret}</code>
      </p>
      <p class="help">{t("webhookSecretHelp")}</p>
      <div class="row">
        <button type="button" class="button" onClick={copy}>
          {t("webhookSecretCopy")}
        </button>
        <button type="button" class="button button-primary" onClick={onDone}>
          {t("webhookSecretDone")}
        </button>
      </div>
    </div>
  );
}

function NewWebhook({ orgId, onCreated }) {
  const [url, setUrl] = useState("https://");
  const [events, setEvents] = useState(/** @type {string[]} */ (["document.issued"]));
  const [description, setDescription] = useState("");
  const [errors, setErrors] = useState(/** @type {Record<string,string>} */ ({}));
  const [error, setError] = useState("");
  const submit = async (e) => {
    e.preventDefault();
    setErrors({});
    setError("");
    try {
      const created = await request(E.webhookCreate, [], { body: { organisation_id: orgId, url: url.trim(), events, description: description.trim() } });
      setUrl("https://");
      setDescription("");
      onCreated(created);
    } catch (err) {
      const f = err.errors || {};
      setErrors({ url: f.url && String(f.url), events: f.events && t("errInvalid") });
      setError(problemText(err));
    }
  };
  return (
    <form class="form card-form" onSubmit={submit} noValidate aria-labelledby="new-wh">
      <h2 id="new-wh">{t("webhookNew")}</h2>
      <label for="wh-url">{t("webhookUrl")}</label>
      <input id="wh-url" type="url" inputMode="url" value={url} onInput={(e) => setUrl(e.currentTarget.value)} aria-describedby="wh-url-err" aria-invalid={Boolean(errors.url)} />
      <p id="wh-url-err" class="form-error">{errors.url}</p>
      <fieldset>
        <legend>{t("webhookEvents")}</legend>
        {WEBHOOK_EVENTS.map((ev) => (
          <label key={ev} class="check toggle-row">
            <input type="checkbox" checked={events.includes(ev)} onChange={() => setEvents(events.includes(ev) ? events.filter((x) => x !== ev) : [...events, ev])} />
            <span>{eventName(ev)}</span>
          </label>
        ))}
        <p class="form-error">{errors.events}</p>
      </fieldset>
      <label for="wh-desc">{t("webhookDescription")}</label>
      <input id="wh-desc" value={description} maxLength={255} onInput={(e) => setDescription(e.currentTarget.value)} />
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="button button-primary">
        {t("webhookCreate")}
      </button>
    </form>
  );
}

export function Deliveries({ id }) {
  const list = usePaged(E.webhookDeliveries, [id], { limit: 30 }, [id]);
  const resend = async (d) => {
    try {
      await request(E.webhookResend, [id, d.id]);
      toast(t("deliveryResent"), "success");
      list.reload();
    } catch (err) {
      toast(problemText(err), "error");
    }
  };
  return (
    <section class="screen">
      <h1>{t("webhookDeliveries")}</h1>
      <button type="button" class="link-button" onClick={() => navigate("/admin/webhooks")}>
        ← {t("webhooksTitle")}
      </button>
      {list.items.length === 0 && !list.loading && !list.error && <p class="muted">{t("deliveryNone")}</p>}
      <ul class="plain-list" aria-busy={list.loading}>
        {list.items.map((d) => (
          <li key={d.id}>
            <p>
              <span class={`mark ${d.status === "sent" ? "mark-ok" : d.status === "failed" ? "mark-overdue" : "mark-status"}`}>{t(`delivery_${d.status}`)}</span>{" "}
              <strong>{eventName(d.event)}</strong> · {fmtDateTime(d.created_at)}
            </p>
            <p class="muted small">
              {t("deliveryAttempts", { n: d.attempts })}
              {d.last_status ? ` · ${t("deliveryLast", { status: d.last_status })}` : ""}
              {d.last_error ? ` · ${d.last_error}` : ""}
            </p>
            {d.status !== "pending" && (
              <button type="button" class="button" onClick={() => resend(d)} aria-label={`${t("deliveryResend")}: ${eventName(d.event)} ${fmtDateTime(d.created_at)}`}>
                {t("deliveryResend")}
              </button>
            )}
          </li>
        ))}
      </ul>
      {list.loading && <Spinner />}
      {list.error && <ErrorBox text={list.error} onRetry={list.reload} />}
      {!list.loading && list.cursor && (
        <button type="button" class="button button-block" onClick={list.more}>
          {t("loadMore")}
        </button>
      )}
    </section>
  );
}
