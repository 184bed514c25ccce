// "Chọn chỗ ký": a document whose text does not contain the signer's printed name is not
// signed at a guessed place (the server answers its item with code needs-position). The
// signer sees the page (the last one first), taps where the signature goes, and confirms;
// the position travels as fractions of the page, from its bottom-left corner, which is
// what the API takes (unit "page").
import { useEffect, useRef, useState } from "preact/hooks";
import { imageURL, request } from "../api.js";
import { E } from "../endpoints.js";
import { problemText, t } from "../i18n.js";
import "../strings/doc.js";

const BOX_WIDTH = 0.3; // of the page's width: room for a handwritten signature
const IMAGE_RATIO = 2.5; // a signature image is 2.5 times wider than high

/** @param {{document: {document_id:number, subject?:string}, index:number, count:number,
 *   onPlaced:(placement:any)=>void, onSkip:()=>void}} props */
export function SignPlace({ document: doc, index, count, onPlaced, onSkip }) {
  const [file, setFile] = useState(/** @type {any} */ (null));
  const [page, setPage] = useState(1);
  const [src, setSrc] = useState("");
  const [tap, setTap] = useState(/** @type {{x:number, y:number}|null} */ (null));
  const [error, setError] = useState("");
  const img = useRef(/** @type {HTMLImageElement|null} */ (null));

  useEffect(() => {
    setFile(null);
    setTap(null);
    request(E.document, [doc.document_id])
      .then((d) => {
        const main = (d.files || []).find((f) => f.kind === "main");
        setFile(main);
        setPage(main?.page_count || 1); // the signature block is usually on the last page
      })
      .catch((err) => setError(problemText(err)));
  }, [doc.document_id]);

  useEffect(() => {
    if (!file) return;
    let live = true;
    let url = "";
    const width = Math.min(800, Math.max(300, window.innerWidth - 48));
    imageURL(E.page, [doc.document_id, file.id, page], { width, dpr: Math.min(2, window.devicePixelRatio || 1) })
      .then((u) => {
        url = u;
        if (live) setSrc(u);
      })
      .catch((err) => live && setError(problemText(err)));
    return () => {
      live = false;
      if (url) setTimeout(() => URL.revokeObjectURL(url), 1000);
    };
  }, [file, page]);

  const onTap = (e) => {
    const box = img.current?.getBoundingClientRect();
    if (!box) return;
    setTap({ x: (e.clientX - box.left) / box.width, y: (e.clientY - box.top) / box.height });
  };

  // the box centred on the tap, inside the page
  const size = () => {
    const el = img.current;
    const aspect = el && el.naturalHeight ? el.naturalWidth / el.naturalHeight : 595 / 842;
    return { w: BOX_WIDTH, h: (BOX_WIDTH * aspect) / IMAGE_RATIO };
  };
  const placement = () => {
    if (!tap) return null;
    const { w, h } = size();
    const cx = Math.min(1 - w / 2, Math.max(w / 2, tap.x));
    const cyTop = Math.min(1 - h / 2, Math.max(h / 2, tap.y)); // from the top of the image
    const cy = 1 - cyTop; // PDF pages count from the bottom
    const round = (v) => Math.round(v * 10000) / 10000;
    return {
      document_id: doc.document_id,
      page,
      unit: "page",
      x1: round(cx - w / 2),
      y1: round(cy - h / 2),
      x2: round(cx + w / 2),
      y2: round(cy + h / 2),
    };
  };
  const chosen = placement();
  const total = file?.page_count || 1;

  return (
    <section class="sign-place" aria-labelledby="sign-place-title">
      <h3 id="sign-place-title">{t("signPlaceTitle", { i: index + 1, n: count })}</h3>
      <p class="muted">{doc.subject || `#${doc.document_id}`}</p>
      <p class="help">{t("signPlaceHelp")}</p>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {total > 1 && (
        <div class="zoom-bar" role="group" aria-label={t("pageOf", { n: page, total })}>
          <button type="button" class="chip-button" disabled={page <= 1} onClick={() => (setPage(page - 1), setTap(null))}>
            {t("signPlacePrev")}
          </button>
          <span class="muted">{t("pageOf", { n: page, total })}</span>
          <button
            type="button"
            class="chip-button"
            disabled={page >= total}
            onClick={() => (setPage(page + 1), setTap(null))}
          >
            {t("signPlaceNext")}
          </button>
        </div>
      )}
      <div class="sign-place-page">
        {src ? (
          <img
            ref={img}
            src={src}
            alt={t("pageOf", { n: page, total })}
            onClick={onTap}
            data-testid="sign-place-page"
          />
        ) : (
          <p role="status">{t("signPreparing")}</p>
        )}
        {chosen && (
          <div
            class="sign-place-mark"
            aria-hidden="true"
            style={{
              left: `${chosen.x1 * 100}%`,
              width: `${(chosen.x2 - chosen.x1) * 100}%`,
              top: `${(1 - chosen.y2) * 100}%`,
              height: `${(chosen.y2 - chosen.y1) * 100}%`,
            }}
          />
        )}
      </div>
      <div class="actions">
        <button type="button" class="button button-primary" disabled={!chosen} onClick={() => onPlaced(chosen)}>
          {t("signPlaceHere")}
        </button>
        <button type="button" class="button" onClick={onSkip}>
          {t("signPlaceSkip")}
        </button>
      </div>
    </section>
  );
}
