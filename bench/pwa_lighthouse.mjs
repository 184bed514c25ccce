// Lighthouse on the PWA, signed in: the inbox and a document view, on a phone (mobile
// form factor, default simulated throttling = slow 4G, 4x CPU slowdown). Run by
// bench/pwa_lighthouse.sh, which starts the server and installs lighthouse +
// chrome-launcher into bench/.lighthouse (this file is resolved from there: see
// NODE_PATH in the shell script).
//
//   node bench/pwa_lighthouse.mjs http://127.0.0.1:8000 [username]
//
// The session: the app keeps its tokens in IndexedDB ("trinhky" → kv → "auth", see
// pwa/src/api.js saveTokens), so a first navigation to the app's origin stores the pair
// the API gave us there; Lighthouse then runs with storage reset off (it would wipe
// IndexedDB) after we clear the HTTP cache, Cache Storage and the service worker
// ourselves, so the numbers are a first visit's, not a precache hit.
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
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

// -- the session and a document to look at -----------------------------------------------
const token = await (
  await api("/api/auth/login", null, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password, device_name: "Lighthouse" }),
  })
).json();
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

// -- the browser ---------------------------------------------------------------------------
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH || "/usr/bin/chromium",
  chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"],
});
const browser = await puppeteer.connect({ browserURL: `http://127.0.0.1:${chrome.port}` });

async function signedInFreshOrigin() {
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
      access_token: token.access_token,
      refresh_token: token.refresh_token,
      expires_at: Date.now() + (token.expires_in || 900) * 1000,
      user: token.user,
      device: token.device,
    },
  );
  const cdp = await page.createCDPSession();
  await cdp.send("Network.clearBrowserCache");
  await cdp.detach();
  await page.goto("about:blank");
  return page;
}

async function audit(name, path) {
  const page = await signedInFreshOrigin();
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
  results = [await audit("inbox", "/"), await audit("document", `/documents/${docId}`)];
} finally {
  await browser.disconnect();
  await chrome.kill();
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
  line(r.performance >= 90, `performance     ${r.performance}  (target ≥ 90)`);
  line(r.accessibility >= 95, `accessibility   ${r.accessibility}  (target ≥ 95)`);
  line(r.bestPractices >= 95, `best practices  ${r.bestPractices}  (target ≥ 95)`);
  line(
    r.jsGzip <= 100 * 1024,
    `JS shipped      ${kb(r.jsGzip)} gzip (${kb(r.jsRaw)} raw, ${kb(r.jsTransfer)} on the wire; ${r.scripts.length} files)  (target ≤ 100 KB)`,
  );
  console.log(
    `         FCP ${r.fcp} ms · LCP ${r.lcp} ms${r.name === "inbox" ? " (= first inbox render)" : ""} · TBT ${r.tbt} ms · CLS ${r.cls?.toFixed(3)} · Speed Index ${r.speedIndex} ms`,
  );
  for (const [cat, list] of Object.entries(r.failing)) {
    if (list.length) console.log(`         below 0.9 in ${cat}: ${list.join(", ")}`);
  }
}
console.log(`\npage image: document ${docId} page 1 at 390 px @2x`);
line(pageImageBytes <= 150 * 1024, `${kb(pageImageBytes)} ${pageImageType}  (target ≤ 150 KB)`);
if (outDir) console.log(`\nreports: ${outDir}/{inbox,document}.json`);
process.exitCode = missed ? 1 : 0;
