// Soạn thảo: my drafts (edited until submitted) and "Đã trình" — where each submitted
// document is (which step, who holds it, since when), a returned one with its reason.
import { E } from "../../endpoints.js";
import { fmtDate, fmtDateTime, t } from "../../i18n.js";
import { ErrorBox, Icon, Link, navigate, OverdueMark, Spinner, TabBar, UrgencyMark } from "../../ui.jsx";
import { usePaged } from "../paged.js";
import "../../strings/draft.js";

const TABS = ["drafts", "submitted"];

export function Drafts({ search, counts, dataTick, selected }) {
  const params = new URLSearchParams(search);
  const tab = TABS.includes(params.get("tab") || "") ? params.get("tab") : "drafts";
  const list = usePaged(
    tab === "drafts" ? E.documents : E.inboxSubmitted,
    [],
    tab === "drafts" ? { mine: true, status: "draft", direction: "outgoing", limit: 20 } : { limit: 20 },
    [tab, dataTick],
  );
  const returned = counts?.returned_to_me || 0;
  return (
    <div class="list-screen">
      <div class="screen-head">
        <h1>{t("draftsTitle")}</h1>
        <Link href="/drafts/new" class="button button-primary">
          <Icon name="plus" size={22} /> {t("newDraft")}
        </Link>
      </div>
      <TabBar
        tabs={[
          { id: "drafts", label: t("tabDrafts") },
          { id: "submitted", label: t("tabSubmitted"), count: returned },
        ]}
        current={tab}
        onSelect={(id) => navigate(id === "drafts" ? "/drafts" : `/drafts?tab=${id}`, { replace: true })}
        label={t("draftsTitle")}
        controls="drafts-panel"
      />
      <section id="drafts-panel" role="tabpanel" aria-labelledby={`tab-${tab}`} aria-busy={list.loading}>
        <ul class="doc-list">
          {/* right after a tab switch the list still holds the other tab's rows: skip them */}
          {list.items.filter((item) => (tab === "drafts") === !item.document).map((item) =>
            tab === "drafts" ? (
              <DraftRow key={item.id} doc={item} open={selected === item.id} />
            ) : (
              <SubmittedRow key={item.document.id} item={item} open={selected === item.document.id} />
            ),
          )}
        </ul>
        {list.loading && <Spinner />}
        {list.error && <ErrorBox text={list.error} onRetry={list.reload} />}
        {!list.loading && !list.error && list.items.length === 0 && (
          <p class="empty">{t(tab === "drafts" ? "noDrafts" : "noSubmitted")}</p>
        )}
        {!list.loading && list.cursor && (
          <button type="button" class="button button-block" onClick={list.more}>
            {t("loadMore")}
          </button>
        )}
      </section>
    </div>
  );
}

function DraftRow({ doc, open }) {
  return (
    <li class={`doc-row${open ? " doc-row-open" : ""}`}>
      <Link href={`/documents/${doc.id}`} class="doc-link" aria-current={open ? "page" : undefined}>
        <span class="doc-marks">
          <UrgencyMark urgency={doc.urgency} />
        </span>
        <span class="doc-subject">{doc.subject}</span>
        <span class="doc-meta">
          {[doc.document_type?.name, doc.unit?.name].filter(Boolean).join(" · ")}
        </span>
        <span class="doc-meta">
          {t("draftCreated", { time: fmtDateTime(doc.created_at) })}
          {doc.due_date && <> · {t("due", { date: fmtDate(doc.due_date) })}</>}
        </span>
      </Link>
    </li>
  );
}

function SubmittedRow({ item, open }) {
  const d = item.document;
  const back = item.returned;
  const pos = item.position;
  return (
    <li class={`doc-row${back ? " doc-row-urgent" : ""}${open ? " doc-row-open" : ""}`}>
      <Link href={`/documents/${d.id}`} class="doc-link" aria-current={open ? "page" : undefined}>
        <span class="doc-marks">
          <span class={`mark ${back ? "mark-overdue" : "mark-status"}`}>{t(`status_${d.status}`)}</span>
          <UrgencyMark urgency={d.urgency} />
          <OverdueMark overdue={item.overdue} />
        </span>
        <span class="doc-subject">{d.subject}</span>
        {back && <span class="doc-meta text-urgent">{t("returnedShort", { reason: back.reason })}</span>}
        {pos && (
          <span class="doc-meta">
            {t("atStep", { step: pos.step.label, who: pos.holders.join(", ") || t("waitingNobody") })} ·{" "}
            {t("since", { time: fmtDateTime(pos.since) })}
          </span>
        )}
        {!pos && !back && d.number_symbol && <span class="doc-meta">{d.number_symbol}</span>}
      </Link>
    </li>
  );
}
