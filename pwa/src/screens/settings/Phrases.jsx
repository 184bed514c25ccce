// Câu trả lời nhanh: add, delete and order the phrases offered when writing an
// instruction. The whole order is sent at once (PUT), so the defaults — not stored until
// changed — can be reordered and deleted like the leader's own.
import { useEffect, useState } from "preact/hooks";
import { request } from "../../api.js";
import { E } from "../../endpoints.js";
import { problemText, t } from "../../i18n.js";
import { ErrorBox, Icon, Spinner, toast } from "../../ui.jsx";
import "../../strings/personal.js";

export function Phrases() {
  const [items, setItems] = useState(/** @type {any[]|null} */ (null));
  const [text, setText] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    request(E.quickPhrases)
      .then(setItems)
      .catch((err) => setError(problemText(err)));
  }, []);

  const put = async (texts) => {
    setBusy(true);
    setError("");
    try {
      setItems(await request(E.quickPhrasesOrder, [], { body: { texts } }));
      toast(t("phrasesSaved"), "success");
    } catch (err) {
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  };
  const texts = (items || []).map((p) => p.text);
  const move = (i, by) => {
    const next = [...texts];
    [next[i], next[i + by]] = [next[i + by], next[i]];
    put(next);
  };
  const remove = async (i) => {
    const p = items[i];
    if (!p.id) return put(texts.filter((_, j) => j !== i)); // a default: store the rest
    setBusy(true);
    try {
      await request(E.quickPhraseDelete, [p.id]);
      setItems(items.filter((_, j) => j !== i));
    } catch (err) {
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  };
  const add = async (e) => {
    e.preventDefault();
    const value = text.trim();
    if (!value) return;
    setBusy(true);
    setError("");
    try {
      await request(E.quickPhraseAdd, [], { body: { text: value } });
      setItems(await request(E.quickPhrases));
      setText("");
    } catch (err) {
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="screen settings">
      <h1>{t("phrasesTitle")}</h1>
      <p class="muted">{t("phrasesLead")}</p>
      {!items && !error && <Spinner />}
      {error && <ErrorBox text={error} />}
      {items && (
        <ol class="phrase-list" aria-busy={busy}>
          {items.map((p, i) => (
            <li key={`${p.id}-${p.text}`} class="phrase-row">
              <span class="phrase-text">{p.text}</span>
              <span class="phrase-tools">
                <button type="button" class="icon-button" disabled={busy || i === 0} aria-label={t("phraseUp", { text: p.text })} onClick={() => move(i, -1)}>
                  <Icon name="up" size={22} />
                </button>
                <button type="button" class="icon-button" disabled={busy || i === items.length - 1} aria-label={t("phraseDown", { text: p.text })} onClick={() => move(i, 1)}>
                  <Icon name="down" size={22} />
                </button>
                <button type="button" class="icon-button" disabled={busy} aria-label={t("phraseDelete", { text: p.text })} onClick={() => remove(i)}>
                  <Icon name="trash" size={22} />
                </button>
              </span>
            </li>
          ))}
        </ol>
      )}
      <form class="form" onSubmit={add}>
        <label for="phrase-new">{t("phraseNew")}</label>
        <textarea id="phrase-new" rows={2} maxLength={500} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        <button type="submit" class="button" disabled={busy || !text.trim()}>
          {t("phraseAdd")}
        </button>
      </form>
    </section>
  );
}
