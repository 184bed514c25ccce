// Văn bản đến (clerk): what waits to be registered, what was registered, what was refused.
import { E } from "../../endpoints.js";
import { fmtDateTime, t } from "../../i18n.js";
import { ErrorBox, Icon, Link, navigate, Spinner, TabBar, UrgencyMark } from "../../ui.jsx";
import { usePaged } from "../paged.js";
import "../../strings/clerk.js";

const TABS = [
  { id: "waiting", status: "draft" },
  { id: "registered", status: "registered" },
  { id: "refused", status: "refused" },
];

export function IncomingList({ search, dataTick, selected }) {
  const params = new URLSearchParams(search);
  const tab = TABS.find((x) => x.id === params.get("tab")) || TABS[0];
  const list = usePaged(E.documents, [], { direction: "incoming", status: tab.status, mine: true, limit: 20 }, [tab.id, dataTick]);
  return (
    <div class="list-screen">
      <div class="screen-head">
        <h1>{t("incomingTitle")}</h1>
        <Link href="/incoming/new" class="button button-primary">
          <Icon name="plus" size={22} /> {t("registerNew")}
        </Link>
      </div>
      <TabBar
        tabs={TABS.map((x) => ({ id: x.id, label: t(`itab_${x.id}`) }))}
        current={tab.id}
        onSelect={(id) => navigate(id === "waiting" ? "/incoming" : `/incoming?tab=${id}`, { replace: true })}
        label={t("incomingTitle")}
        controls="incoming-panel"
      />
      <section id="incoming-panel" role="tabpanel" aria-labelledby={`tab-${tab.id}`} aria-busy={list.loading}>
        <ul class="doc-list">
          {list.items.map((d) => {
            const href = tab.id === "waiting" ? `/documents/${d.id}/register` : `/documents/${d.id}`;
            const open = selected === d.id;
            return (
              <li key={d.id} class={`doc-row${open ? " doc-row-open" : ""}`}>
                <Link href={href} class="doc-link" aria-current={open ? "page" : undefined}>
                  <span class="doc-marks">
                    <UrgencyMark urgency={d.urgency} />
                  </span>
                  <span class="doc-subject">{d.subject}</span>
                  <span class="doc-meta">{[d.document_type?.name, d.number_symbol].filter(Boolean).join(" · ")}</span>
                  <span class="doc-meta">{fmtDateTime(d.updated_at)}</span>
                </Link>
              </li>
            );
          })}
        </ul>
        {list.loading && <Spinner />}
        {list.error && <ErrorBox text={list.error} onRetry={list.reload} />}
        {!list.loading && !list.error && list.items.length === 0 && <p class="empty">{t("noIncoming")}</p>}
        {!list.loading && list.cursor && (
          <button type="button" class="button button-block" onClick={list.more}>
            {t("loadMore")}
          </button>
        )}
      </section>
    </div>
  );
}
