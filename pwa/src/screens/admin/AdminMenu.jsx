// Quản trị: the areas of running the agency. At a desk the menu stays on the left and
// the area opens beside it.
import { t } from "../../i18n.js";
import { Link } from "../../ui.jsx";
import "../../strings/admin.js";
import "./admin.css";

const AREAS = ["units", "users", "credentials", "signing", "webhooks", "audit"];
const KEY = { units: "adminUnits", users: "adminUsers", credentials: "adminCredentials", signing: "adminSigning", webhooks: "adminWebhooks", audit: "adminAudit" };

export function AdminMenu() {
  const here = location.pathname.split("/")[2] || "";
  return (
    <section class="screen admin-menu">
      <h1>{t("adminTitle")}</h1>
      <ul class="menu-list">
        {AREAS.map((a) => (
          <li key={a}>
            <Link href={`/admin/${a}`} class="menu-item" aria-current={here === a ? "page" : undefined}>
              <span class="menu-text">
                <span class="menu-name">{t(KEY[a])}</span>
                <span class="menu-help">{t(`${KEY[a]}Help`)}</span>
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}
