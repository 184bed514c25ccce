// Reading offline what the inbox showed (loaded lazily, in idle time, after a fresh first
// page): for the first documents of the list, the document, its route and timeline, and
// the first pages as images at this phone's width. Images stay within the budget of
// api.js (the least recently used go first), so this never fills the phone.
import { load, storeImage } from "./api.js";
import { E } from "./endpoints.js";

const DOCUMENTS = 8;
const PAGES = 2;

/** The page width the document view asks for on this screen (see Pages), or 0 at a desk. */
export function pageWidth() {
  const w = document.documentElement.clientWidth || 390;
  return w >= 1024 ? 0 : Math.max(200, Math.min(1600, Math.round(w)));
}

export function pageDpr() {
  return Math.round(Math.min(4, Math.max(1, window.devicePixelRatio || 1)) * 4) / 4;
}

/** @param {{document: {id:number}}[]} items */
export async function keepForOffline(items) {
  const width = pageWidth();
  const dpr = pageDpr();
  for (const item of items.slice(0, DOCUMENTS)) {
    if (!navigator.onLine) return;
    const id = item.document.id;
    try {
      const { data: doc } = await load(E.document, [id]);
      await Promise.all([load(E.route, [id]).catch(() => {}), load(E.timeline, [id]).catch(() => {})]);
      const main = doc.files?.find((f) => f.kind === "main");
      if (!main || !width) continue;
      for (let n = 1; n <= Math.min(PAGES, main.page_count || 1); n++) {
        await storeImage(E.page, [id, main.id, n], { width, dpr });
      }
    } catch {
      /* the next one; this one is read online */
    }
  }
}
