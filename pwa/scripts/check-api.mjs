#!/usr/bin/env node
// Verifies that every method + path the app calls (src/endpoints.js) exists in the API's
// OpenAPI document, and that no other source file writes an "/api/…" path of its own.
//
//   node scripts/check-api.mjs http://127.0.0.1:8000/api/openapi.json
//   node scripts/check-api.mjs ../var/openapi.json
//
// Exit 1 when a required endpoint is missing. Endpoints marked `pending` (the backend is
// still adding them) are reported as warnings; `--strict` makes them errors too.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { E } from "../src/endpoints.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const strict = args.includes("--strict");
const source = args.find((a) => !a.startsWith("--")) || process.env.OPENAPI || "http://127.0.0.1:8000/api/openapi.json";

async function readSpec(where) {
  if (/^https?:\/\//.test(where)) {
    const response = await fetch(where, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`${where}: HTTP ${response.status}`);
    return response.json();
  }
  return JSON.parse(readFileSync(where, "utf8"));
}

/** "/api/documents/{document_id}/files/{file_id}" → "/api/documents/{}/files/{}" */
const shape = (path) => path.replace(/\{[^}]+\}/g, "{}");

function sourceFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(js|jsx|mjs)$/.test(name)) out.push(full);
  }
  return out;
}

const spec = await readSpec(source);
const available = new Map(); // shape → set of methods
for (const [path, item] of Object.entries(spec.paths || {})) {
  const methods = Object.keys(item).filter((m) => ["get", "post", "put", "patch", "delete"].includes(m));
  const key = shape(path);
  available.set(key, new Set([...(available.get(key) || []), ...methods.map((m) => m.toUpperCase())]));
}

let missing = 0;
let pending = 0;
for (const [name, endpoint] of Object.entries(E)) {
  const ok = available.get(shape(endpoint.path))?.has(endpoint.method);
  if (ok) {
    console.log(`ok       ${endpoint.method.padEnd(6)} ${endpoint.path}`);
  } else if (endpoint.pending && !strict) {
    pending++;
    console.log(`PENDING  ${endpoint.method.padEnd(6)} ${endpoint.path}  (${name}: not in the API yet; the app copes)`);
  } else {
    missing++;
    console.log(`MISSING  ${endpoint.method.padEnd(6)} ${endpoint.path}  (${name})`);
  }
}

// No API path may be written outside endpoints.js: every call goes through E.
const stray = [];
for (const file of sourceFiles(join(root, "src"))) {
  if (file.endsWith("endpoints.js")) continue;
  const text = readFileSync(file, "utf8");
  for (const m of text.matchAll(/["'`](\/api\/[^"'`]*)["'`]/g)) stray.push(`${relative(root, file)}: ${m[1]}`);
}
for (const s of stray) console.log(`STRAY    ${s}  (use src/endpoints.js)`);

const total = Object.keys(E).length;
console.log(
  `\n${total - missing - pending} of ${total} endpoints found in ${spec.info?.title || "the API"} ${spec.info?.version || ""}` +
    (pending ? `; ${pending} pending` : "") +
    (missing ? `; ${missing} MISSING` : ""),
);
process.exit(missing || stray.length ? 1 : 0);
