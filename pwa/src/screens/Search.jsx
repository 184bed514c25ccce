// Tìm kiếm: one field over number/symbol, trích yếu, sender and the PDFs' text, results
// as you type (debounced), diacritics-insensitive, the words found highlighted in the
// subject, the number and the snippet; filters (type, direction, year, unit) kept in the
// address, so "back" from a document returns to the same results.
import { useEffect, useRef, useState } from "preact/hooks";
import { load } from "../api.js";
import { E } from "../endpoints.js";
import { fmtDate, t } from "../i18n.js";
import { orgOf } from "../roles.js";
import { ErrorBox, Link, navigate, Spinner } from "../ui.jsx";
import { usePaged } from "./paged.js";
import "../strings/overview.js";

const FILTERS = ["type", "dir", "year", "unit"];
const thisYear = () => Number(new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Ho_Chi_Minh", year: "numeric" }).format(new Date()));

export function Search({ auth, search, selected }) {
  const params = new URLSearchParams(search);
  const [q, setQ] = useState(params.get("q") || "");
  const query = (params.get("q") || "").trim();
  const filters = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) || ""]));
  const [types, setTypes] = useState(/** @type {any[]} */ ([]));
  const [units, setUnits] = useState(/** @type {any[]} */ ([]));
  const input = useRef(/** @type {HTMLInputElement|null} */ (null));
  const orgId = orgOf(auth.user);

  useEffect(() => {
    if (!query) input.current?.focus();
    load(E.documentTypes).then((r) => setTypes(r.data), () => {});
    if (orgId) load(E.units, [orgId]).then((r) => setUnits(r.data), () => {});
  }, []);

  /** The address holds the query and the filters (replaced, not pushed, while typing). */
  const go = (next) => {
    const p = new URLSearchParams({ q: q.trim(), ...filters, ...next });
    for (const [k, v] of [...p.entries()]) if (!v) p.delete(k);
    const s = p.toString();
    navigate(`/search${s ? `?${s}` : ""}`, { replace: true });
  };
  // results as you type: the address follows the field 300 ms after the last key
  useEffect(() => {
    if (q.trim() === query) return;
    const timer = setTimeout(() => go({ q: q.trim() }), 300);
    return () => clearTimeout(timer);
  }, [q]);

  const apiQuery = {
    q: query,
    document_type_id: filters.type || undefined,
    direction: filters.dir || undefined,
    year: filters.year || undefined,
    unit_id: filters.unit || undefined,
    limit: 20,
  };
  const list = usePaged(query ? E.search : null, [], apiQuery, [query, ...FILTERS.map((k) => filters[k])]);
  const active = FILTERS.filter((k) => filters[k]).length;
  const year = thisYear();

  return (
    <section class="screen search-screen">
      <h1>{t("searchTitle")}</h1>
      <form class="search" role="search" onSubmit={(e) => (e.preventDefault(), go({ q: q.trim() }))}>
        <label for="global-search" class="visually-hidden">
          {t("searchLabel")}
        </label>
        <input
          id="global-search"
          ref={input}
          type="search"
          enterkeyhint="search"
          autocomplete="off"
          placeholder={t("searchPlaceholder")}
          value={q}
          maxLength={200}
          onInput={(e) => setQ(e.currentTarget.value)}
        />
      </form>
      <details class="filters" open={active > 0}>
        <summary>{active ? t("filtersOn", { n: active }) : t("filters")}</summary>
        <div class="filter-grid">
          <div>
            <label for="f-type">{t("filterType")}</label>
            <select id="f-type" value={filters.type} onChange={(e) => go({ type: e.currentTarget.value })}>
              <option value="">{t("filterAll")}</option>
              {types
                .filter((x) => !x.is_copy)
                .map((x) => (
                  <option key={x.id} value={x.id}>
                    {x.name}
                  </option>
                ))}
            </select>
          </div>
          <div>
            <label for="f-dir">{t("filterDirection")}</label>
            <select id="f-dir" value={filters.dir} onChange={(e) => go({ dir: e.currentTarget.value })}>
              <option value="">{t("filterAll")}</option>
              <option value="outgoing">{t("dir_outgoing")}</option>
              <option value="incoming">{t("dir_incoming")}</option>
            </select>
          </div>
          <div>
            <label for="f-year">{t("filterYear")}</label>
            <select id="f-year" value={filters.year} onChange={(e) => go({ year: e.currentTarget.value })}>
              <option value="">{t("filterAll")}</option>
              {[0, 1, 2, 3, 4].map((i) => (
                <option key={i} value={year - i}>
                  {year - i}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="f-unit">{t("filterUnit")}</label>
            <select id="f-unit" value={filters.unit} onChange={(e) => go({ unit: e.currentTarget.value })}>
              <option value="">{t("filterAll")}</option>
              {units.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name}
                </option>
              ))}
            </select>
          </div>
        </div>
        {active > 0 && (
          <button type="button" class="link-button" onClick={() => go({ type: "", dir: "", year: "", unit: "" })}>
            {t("clearFilters")}
          </button>
        )}
      </details>

      {!query && <p class="muted">{t("searchHint")}</p>}
      <p class="visually-hidden" role="status" aria-live="polite">
        {query && !list.loading && !list.error
          ? list.items.length
            ? t(list.cursor ? "searchFoundMore" : "searchFound", { n: list.items.length })
            : t("searchNone")
          : ""}
      </p>
      {query && (
        <div aria-busy={list.loading}>
          <ul class="doc-list">
            {list.items.map((hit) => (
              <Hit key={hit.id} hit={hit} terms={termsOf(query)} open={selected === hit.id} />
            ))}
          </ul>
          {list.loading && <Spinner />}
          {list.error && <ErrorBox text={list.error} onRetry={list.reload} />}
          {!list.loading && !list.error && list.items.length === 0 && <p class="empty">{t("searchNone")}</p>}
          {!list.loading && list.cursor && (
            <button type="button" class="button button-block" onClick={list.more}>
              {t("loadMore")}
            </button>
          )}
        </div>
      )}
    </section>
  );
}

function Hit({ hit, terms, open }) {
  const date = hit.issued_at || hit.created_at;
  return (
    <li class={`doc-row${open ? " doc-row-open" : ""}`}>
      <Link href={`/documents/${hit.id}`} class="doc-link" aria-current={open ? "page" : undefined}>
        <span class="doc-marks">
          {hit.status && <span class="mark mark-status">{t(`status_${hit.status}`)}</span>}
          {hit.number_symbol && (
            <span class="mark mark-number">
              <Highlighted text={hit.number_symbol} terms={terms} />
            </span>
          )}
        </span>
        <span class="doc-subject">
          <Highlighted text={hit.subject} terms={terms} />
        </span>
        <span class="doc-meta">
          {[hit.document_type?.name, t(`dir_${hit.direction}`), date && fmtDate(date.slice(0, 10))].filter(Boolean).join(" · ")}
        </span>
        {hit.sender && (
          <span class="doc-meta doc-sender">
            {t("fromWhom", { name: "" })}
            <Highlighted text={hit.sender} terms={terms} />
          </span>
        )}
        {hit.snippet && (
          <span class="snippet">
            <span class="visually-hidden">{t("matched_body")}: </span>
            <Highlighted text={hit.snippet} terms={terms} />
          </span>
        )}
      </Link>
    </li>
  );
}

/** Lower case, marks removed, đ → d — one character for one, as the server folds. */
export function fold(text) {
  let out = "";
  for (const ch of text) {
    const base = ch.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace("đ", "d");
    out += base.length === ch.length ? base : ch.toLowerCase().slice(0, ch.length).padEnd(ch.length, " ");
  }
  return out;
}

/** The query's words, folded ("Quyết định" → ["quyet", "dinh"]). */
export function termsOf(q) {
  return fold(q)
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** The text with every word that starts with one of the terms in <mark>. */
export function Highlighted({ text, terms }) {
  if (!text || !terms.length) return <>{text}</>;
  const folded = fold(text);
  const marked = new Uint8Array(text.length);
  for (const term of terms) {
    let i = folded.indexOf(term);
    while (i !== -1) {
      const before = i === 0 ? "" : folded[i - 1];
      if (!before || !/[\p{L}\p{N}]/u.test(before)) marked.fill(1, i, i + term.length);
      i = folded.indexOf(term, i + 1);
    }
  }
  const parts = [];
  let start = 0;
  for (let i = 1; i <= text.length; i++) {
    if (i === text.length || marked[i] !== marked[start]) {
      const piece = text.slice(start, i);
      parts.push(marked[start] ? <mark key={start}>{piece}</mark> : piece);
      start = i;
    }
  }
  return <>{parts}</>;
}
