// The pages of a PDF as images the server renders for this width and pixel density,
// loaded as they scroll into view. Fit width, 150 % or 200 % (the images are fetched
// again at that size, so the text stays sharp), double-tap to zoom in on a point and back,
// and pinch-zoom on top of it.
import { useEffect, useRef, useState } from "preact/hooks";
import { imageURL } from "../api.js";
import { E } from "../endpoints.js";
import { t } from "../i18n.js";
import "../strings/doc.js";

const ZOOMS = [
  { value: 1, label: "zoomFit" },
  { value: 1.5, label: "zoom150" },
  { value: 2, label: "zoom200" },
];

export function Pages({ docId, file }) {
  const ref = useRef(/** @type {HTMLDivElement|null} */ (null));
  const [width, setWidth] = useState(0);
  const [zoom, setZoom] = useState(1);
  const lastTap = useRef({ at: 0, x: 0, y: 0 });
  useEffect(() => {
    const w = ref.current?.clientWidth || document.documentElement.clientWidth || 390;
    setWidth(Math.max(200, Math.min(1600, Math.round(w))));
  }, []);
  const total = file.page_count || 1;
  const dpr = Math.round(Math.min(4, Math.max(1, window.devicePixelRatio || 1)) * 4) / 4;

  /** Zoom to `next`, keeping the point under (clientX, clientY) where it is. */
  const zoomTo = (next, clientX, clientY) => {
    const box = ref.current;
    if (!box || next === zoom) return;
    const rect = box.getBoundingClientRect();
    const x = clientX === undefined ? rect.width / 2 : clientX - rect.left;
    const y = clientY === undefined ? 0 : clientY - rect.top;
    const fx = (box.scrollLeft + x) / (rect.width * zoom);
    const pageY = window.scrollY + rect.top; // the pages' top in the document
    const fy = (y - 0) / (box.scrollHeight || 1);
    setZoom(next);
    requestAnimationFrame(() => {
      box.scrollLeft = fx * rect.width * next - x;
      if (clientY !== undefined) window.scrollTo(0, pageY + fy * box.scrollHeight - y);
    });
  };

  // double-tap (touch) or double-click: in to 200 % at that point, or back to fit
  const onTouchEnd = (e) => {
    if (e.changedTouches.length !== 1 || e.touches.length) return;
    const touch = e.changedTouches[0];
    const now = Date.now();
    const last = lastTap.current;
    if (now - last.at < 320 && Math.abs(touch.clientX - last.x) < 30 && Math.abs(touch.clientY - last.y) < 30) {
      e.preventDefault();
      zoomTo(zoom > 1 ? 1 : 2, touch.clientX, touch.clientY);
      lastTap.current = { at: 0, x: 0, y: 0 };
    } else lastTap.current = { at: now, x: touch.clientX, y: touch.clientY };
  };
  const onDblClick = (e) => zoomTo(zoom > 1 ? 1 : 2, e.clientX, e.clientY);

  return (
    <>
      <div class="zoom-bar" role="group" aria-label={t("zoomLabel")}>
        {ZOOMS.map((z) => (
          <button
            key={z.value}
            type="button"
            class="chip-button"
            aria-pressed={zoom === z.value}
            onClick={() => zoomTo(z.value)}
          >
            {t(z.label)}
          </button>
        ))}
      </div>
      <p class="help">{t("zoomHint")}</p>
      <div
        class={`pages${zoom > 1 ? " pages-zoomed" : ""}`}
        ref={ref}
        onTouchEnd={onTouchEnd}
        onDblClick={onDblClick}
        data-zoom={zoom}
      >
        {/* the placeholders at once (A4 high): the sections below never move down */}
        {Array.from({ length: total }, (_, i) => (
          <PageImage
            key={i}
            docId={docId}
            fileId={file.id}
            n={i + 1}
            total={total}
            width={width ? Math.round(width * zoom) : 0}
            zoom={zoom}
            dpr={dpr}
          />
        ))}
      </div>
    </>
  );
}

function PageImage({ docId, fileId, n, total, width, zoom, dpr }) {
  const ref = useRef(null);
  const [src, setSrc] = useState("");
  const [failed, setFailed] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const [size, setSize] = useState(/** @type {[number, number]|null} */ (null));
  const shown = useRef("");
  const seen = useRef(false);
  useEffect(() => () => shown.current && URL.revokeObjectURL(shown.current), []);
  useEffect(() => {
    if (!width) return; // measured after the first render
    let live = true;
    const fetchIt = () =>
      imageURL(E.page, [docId, fileId, n], { width, dpr })
        .then(async (u) => {
          // its size first, so the <img> takes its final height at once
          const probe = new Image();
          probe.src = u;
          await probe.decode().catch(() => {});
          if (!live) return URL.revokeObjectURL(u);
          const before = shown.current;
          shown.current = u;
          setSize(probe.naturalWidth ? [probe.naturalWidth, probe.naturalHeight] : null);
          setSrc(u);
          // the sharper image replaces the one on screen; only then the old one goes
          if (before) setTimeout(() => URL.revokeObjectURL(before), 1000);
        })
        .catch(() => live && !shown.current && setFailed(true));
    const el = ref.current;
    let io;
    if (seen.current || !el || !("IntersectionObserver" in window)) fetchIt();
    else {
      io = new IntersectionObserver(
        (entries) => {
          if (entries.some((e) => e.isIntersecting)) {
            io.disconnect();
            seen.current = true;
            fetchIt();
          }
        },
        { rootMargin: "600px 0px" },
      );
      io.observe(el);
    }
    return () => {
      live = false;
      io?.disconnect();
    };
  }, [docId, fileId, n, width, dpr, attempt]);
  return (
    <figure class={`page${src ? " page-loaded" : ""}`} ref={ref} data-page={n} style={{ width: `${zoom * 100}%` }}>
      {src ? (
        <img
          src={src}
          alt={t("pageOf", { n, total })}
          width={size ? size[0] : width}
          height={size ? size[1] : undefined}
          decoding="async"
        />
      ) : failed ? (
        <div class="page-failed">
          <p>{t("pageLoadFailed", { n })}</p>
          <button type="button" class="button" onClick={() => (setFailed(false), setAttempt(attempt + 1))}>
            {t("retry")}
          </button>
        </div>
      ) : (
        <div class="page-placeholder" role="img" aria-label={t("pageOf", { n, total })}>
          {t("page", { n })}
        </div>
      )}
      <figcaption class="visually-hidden">{t("pageOf", { n, total })}</figcaption>
    </figure>
  );
}
