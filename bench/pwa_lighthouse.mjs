// Lighthouse on the PWA, signed in, on a phone (mobile form factor, default simulated
// throttling = slow 4G, 4x CPU slowdown): a leader's inbox, a document view, her
// dashboard, the work calendar and the search (with results), a specialist's new-draft
// form, a head's assignments list. Run by bench/pwa_lighthouse.sh,
// which starts the server and installs lighthouse + chrome-launcher into
// bench/.lighthouse (this file is resolved from there: see NODE_PATH in the shell script).
//
//   node bench/pwa_lighthouse.mjs http://127.0.0.1:8000 [leader-username]
//
// The session: the app keeps its tokens in IndexedDB ("trinhky" → kv → "auth", see
// pwa/src/api.js saveTokens), so a first navigation to the app's origin stores the pair
// the API gave us there; Lighthouse then runs with storage reset off (it would wipe
// IndexedDB) after we clear the HTTP cache, Cache Storage and the service worker
// ourselves, so the numbers are a first visit's, not a precache hit.
import { createRequire } from "node:module";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const require = createRequire(process.env.LIGHTHOUSE_DIR + "/package.json");
const { default: lighthouse } = await import(require.resolve("lighthouse"));
const chromeLauncher = await import(require.resolve("chrome-launcher"));
const { default: puppeteer } = await import(require.resolve("puppeteer-core"));
const lighthouseVersion = require("lighthouse/package.json").version;

const base = (process.argv[2] || "http://127.0.0.1:8000").replace(/\/$/, "");
const username = process.argv[3] || "phochutich1";
const password = process.env.DEMO_PASSWORD || "TrinhKy@2026";
const outDir = process.env.LIGHTHOUSE_OUT || "";

async function api(path, token, init = {}) {
  const r = await fetch(base + path, {
    ...init,
    headers: { Accept: "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}), ...init.headers },
  });
  if (!r.ok) throw new Error(`${init.method || "GET"} ${path}: ${r.status} ${await r.text()}`);
  return r;
}

// -- the sessions and something to look at -----------------------------------------------
const login = async (who) =>
  (
    await api("/api/auth/login", null, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: who, password, device_name: "Lighthouse" }),
    })
  ).json();
const token = await login(username);
const specialist = await login("chuyenvien.kt");
const head = await login("truongphong.kt");
const waiting = await (await api("/api/inbox/waiting?limit=20", token.access_token)).json();
if (!waiting.items.length) throw new Error(`nothing waits for ${username}: run flask dev-pki`);
const docId = waiting.items[0].document.id;
const doc = await (await api(`/api/documents/${docId}`, token.access_token)).json();
const mainFile = doc.files.find((f) => f.kind === "main") || doc.files[0];
const pageImage = await api(
  `/api/documents/${docId}/files/${mainFile.id}/pages/1?width=390&dpr=2`,
  token.access_token,
);
const pageImageBytes = (await pageImage.arrayBuffer()).byteLength;
const pageImageType = pageImage.headers.get("Content-Type");

/** A valid one-page PDF (with its cross-reference table: the server parses uploads). */
function onePagePdf() {
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
  ];
  let out = "%PDF-1.4\n";
  const offsets = objects.map((body, i) => {
    const at = out.length;
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
    return at;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const at of offsets) out += `${String(at).padStart(10, "0")} 00000 n \n`;
  return out + `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
}

/** Work for the head's list: an incoming letter registered and assigned to the unit. */
async function assignSomething() {
  const clerk = await login("vanthu");
  const auth = (t) => ({ Authorization: `Bearer ${t.access_token}` });
  const types = await (await api("/api/document-types", clerk.access_token)).json();
  const type = types.find((x) => x.code === "cong-van");
  const pdf = onePagePdf();
  const form = new FormData();
  form.set("document_type_id", String(type.id));
  form.set("subject", "Về việc báo cáo tình hình thực hiện kế hoạch năm");
  form.set("direction", "incoming");
  form.set("file", new Blob([pdf], { type: "application/pdf" }), "den.pdf");
  const created = await (await api("/api/documents", clerk.access_token, { method: "POST", body: form })).json();
  const org = clerk.user.memberships[0].organisation_id;
  const registered = await api(`/api/documents/${created.id}/register-incoming`, clerk.access_token, {
    method: "POST",
    headers: { "Content-Type": "application/json", "If-Match": created.etag, "Idempotency-Key": crypto.randomUUID() },
    body: JSON.stringify({
      sender_name: "Bộ Tài chính",
      number_symbol: `${Date.now() % 100000}/BTC-NSNN`,
      document_date: new Date().toISOString().slice(0, 10),
      send_to_user_id: token.user.id,
    }),
  });
  const etag = (await registered.json()).document.etag;
  const units = await (await api(`/api/organisations/${org}/units`, clerk.access_token)).json();
  const kt = units.find((u) => u.abbreviation === "KT");
  const due = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
  await api(`/api/documents/${created.id}/assignments`, token.access_token, {
    method: "POST",
    headers: { "Content-Type": "application/json", "If-Match": etag, "Idempotency-Key": crypto.randomUUID() },
    body: JSON.stringify({ text: "Giao Phòng Kinh tế tham mưu.", lead: { unit_id: kt.id, deadline: due } }),
  });
  return auth;
}
await assignSomething();

/** An event of this week's calendar, so the calendar has something to show. */
async function planSomething() {
  const clerk = await login("vanthu");
  const day = new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
  await api("/api/calendar/events", clerk.access_token, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID() },
    body: JSON.stringify({
      title: "Giao ban lãnh đạo UBND tỉnh",
      starts_at: `${day}T08:00:00+07:00`,
      ends_at: `${day}T10:00:00+07:00`,
      place: "Phòng họp số 1",
      participant_ids: [token.user.id],
    }),
  });
}
await planSomething();

// -- the browser ---------------------------------------------------------------------------
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH || "/usr/bin/chromium",
  chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"],
});
const browser = await puppeteer.connect({ browserURL: `http://127.0.0.1:${chrome.port}` });

async function signedInFreshOrigin(session) {
  const page = await browser.newPage();
  await page.goto(base + "/", { waitUntil: "load" });
  await page.evaluate(
    async (auth) => {
      const open = () =>
        new Promise((resolve, reject) => {
          const req = indexedDB.open("trinhky", 1);
          req.onupgradeneeded = () => {
            const d = req.result; // as pwa/src/db.js creates it
            d.createObjectStore("kv");
            d.createObjectStore("cache");
            d.createObjectStore("images");
            d.createObjectStore("queue", { keyPath: "id" });
          };
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        });
      const d = await open();
      await new Promise((resolve, reject) => {
        const tx = d.transaction(["kv", "cache", "images"], "readwrite");
        tx.objectStore("kv").put(auth, "auth");
        tx.objectStore("cache").clear(); // nothing from an earlier run answers for the API
        tx.objectStore("images").clear();
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
      });
      d.close();
      // the app registers its worker on load: let it finish, then take it away
      await Promise.race([navigator.serviceWorker.ready, new Promise((r) => setTimeout(r, 5000))]);
      for (const r of await navigator.serviceWorker.getRegistrations()) await r.unregister();
      for (const k of await caches.keys()) await caches.delete(k);
    },
    {
      access_token: session.access_token,
      refresh_token: session.refresh_token,
      expires_at: Date.now() + (session.expires_in || 900) * 1000,
      user: session.user,
      device: session.device,
    },
  );
  const cdp = await page.createCDPSession();
  await cdp.send("Network.clearBrowserCache");
  await cdp.detach();
  await page.goto("about:blank");
  return page;
}

async function audit(name, path, session = token) {
  const page = await signedInFreshOrigin(session);
  const result = await lighthouse(
    base + path,
    {
      output: "json",
      logLevel: "error",
      onlyCategories: ["performance", "accessibility", "best-practices"],
      formFactor: "mobile",
      disableStorageReset: true, // keeps the session in IndexedDB (cleared by hand above)
    },
    undefined,
    page,
  );
  await page.close();
  const lhr = result.lhr;
  if (outDir) writeFileSync(`${outDir}/${name}.json`, result.report);
  if (lhr.runtimeError) throw new Error(`${name}: ${lhr.runtimeError.message}`);
  const requests = lhr.audits["network-requests"].details.items;
  const scripts = requests.filter((r) => r.resourceType === "Script" && r.url.startsWith(base));
  let gzipBytes = 0;
  let rawBytes = 0;
  let transferBytes = 0;
  for (const s of scripts) {
    const body = Buffer.from(await (await fetch(s.url)).arrayBuffer());
    rawBytes += body.length;
    gzipBytes += gzipSync(body, { level: 9 }).length;
    transferBytes += s.transferSize || 0;
  }
  const score = (k) => Math.round((lhr.categories[k]?.score ?? 0) * 100);
  const ms = (k) => Math.round(lhr.audits[k]?.numericValue ?? NaN);
  const failing = (k) =>
    lhr.categories[k].auditRefs
      .map((ref) => lhr.audits[ref.id])
      .filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode !== "informative" && a.scoreDisplayMode !== "notApplicable")
      .map((a) => `${a.id}${a.displayValue ? ` (${a.displayValue})` : ""}`);
  return {
    name,
    url: lhr.finalDisplayedUrl,
    performance: score("performance"),
    accessibility: score("accessibility"),
    bestPractices: score("best-practices"),
    fcp: ms("first-contentful-paint"),
    lcp: ms("largest-contentful-paint"),
    tbt: ms("total-blocking-time"),
    cls: lhr.audits["cumulative-layout-shift"]?.numericValue,
    speedIndex: ms("speed-index"),
    scripts: scripts.map((s) => s.url.replace(base, "")),
    jsRaw: rawBytes,
    jsGzip: gzipBytes,
    jsTransfer: transferBytes,
    failing: {
      performance: failing("performance"),
      accessibility: failing("accessibility"),
      "best-practices": failing("best-practices"),
    },
    throttling: lhr.configSettings.throttling,
    method: lhr.configSettings.throttlingMethod,
  };
}

let results;
try {
  results = [
    await audit("inbox", "/"),
    await audit("document", `/documents/${docId}`),
    await audit("new-draft", "/drafts/new", specialist),
    await audit("assignments", "/assignments", head),
    await audit("dashboard", "/dashboard"),
    await audit("calendar", "/calendar"),
    await audit("search", "/search?q=quyet+dinh"),
  ];
} finally {
  await browser.disconnect();
  await chrome.kill();
}

// the whole app: every script of the build (all roles' screens), gzip
const dist = process.env.PWA_DIST || "";
let appGzip = 0;
let appFiles = 0;
if (dist) {
  for (const name of readdirSync(join(dist, "assets"))) {
    if (!name.endsWith(".js")) continue;
    appGzip += gzipSync(readFileSync(join(dist, "assets", name)), { level: 9 }).length;
    appFiles++;
  }
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const check = (ok) => (ok ? "ok " : "MISS");
let missed = 0;
const line = (ok, text) => {
  if (!ok) missed++;
  console.log(`  [${check(ok)}] ${text}`);
};
const t = results[0].throttling;
console.log(
  `Lighthouse ${lighthouseVersion} mobile, ${results[0].method} throttling: ` +
    `RTT ${t.rttMs} ms, ${Math.round(t.throughputKbps)} kbit/s, CPU x${t.cpuSlowdownMultiplier}`,
);
for (const r of results) {
  console.log(`\n${r.name}: ${r.url}`);
  line(r.performance >= 95, `performance     ${r.performance}  (target ≥ 95)`);
  line(r.accessibility >= 100, `accessibility   ${r.accessibility}  (target 100)`);
  line(r.bestPractices >= 100, `best practices  ${r.bestPractices}  (target 100)`);
  const limit = r.name === "inbox" ? 40 : 150;
  line(
    r.jsGzip <= limit * 1024,
    `JS loaded       ${kb(r.jsGzip)} gzip (${kb(r.jsRaw)} raw, ${kb(r.jsTransfer)} on the wire; ${r.scripts.length} files)  (target ≤ ${limit} KB${r.name === "inbox" ? ": sign-in + inbox" : ""})`,
  );
  console.log(
    `         FCP ${r.fcp} ms · LCP ${r.lcp} ms${r.name === "inbox" ? " (= first inbox render)" : ""} · TBT ${r.tbt} ms · CLS ${r.cls?.toFixed(3)} · Speed Index ${r.speedIndex} ms`,
  );
  for (const [cat, list] of Object.entries(r.failing)) {
    if (list.length) console.log(`         below 0.9 in ${cat}: ${list.join(", ")}`);
  }
}
if (dist) {
  console.log(`\nthe whole app (every role's screens): ${appFiles} scripts`);
  line(appGzip <= 150 * 1024, `${kb(appGzip)} gzip  (target ≤ 150 KB)`);
}
console.log(`\npage image: document ${docId} page 1 at 390 px @2x`);
line(pageImageBytes <= 150 * 1024, `${kb(pageImageBytes)} ${pageImageType}  (target ≤ 150 KB)`);
if (outDir) console.log(`\nreports: ${outDir}/{inbox,document,new-draft,assignments,dashboard,calendar,search}.json`);
process.exitCode = missed ? 1 : 0;
