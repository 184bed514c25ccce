// Photos of paper pages (the phone's camera roll) joined into one PDF, an A4 page each,
// so a draft or an incoming letter photographed on a phone can be the main file (which
// must be a PDF). JPEG inside (DCTDecode): no library, a few kilobytes of code.

const A4 = [595, 842]; // points
const MARGIN = 18;
const MAX_SIDE = 2000; // pixels: sharp enough to read, small enough to send

/** @param {File} file */
async function jpegOf(file) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const w = Math.round(bitmap.width * scale);
  const h = Math.round(bitmap.height * scale);
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d");
  if (!ctx) throw new Error("no canvas");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, w, h);
  ctx.drawImage(bitmap, 0, 0, w, h);
  bitmap.close?.();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
  if (!blob) throw new Error("the photo could not be encoded");
  return { bytes: new Uint8Array(await blob.arrayBuffer()), w, h };
}

/**
 * @param {File[]} photos in page order
 * @param {string} name the PDF's file name
 * @returns {Promise<File>}
 */
export async function photosToPdf(photos, name = "anh-chup.pdf") {
  const enc = new TextEncoder();
  /** @type {(Uint8Array)[]} */
  const parts = [];
  const offsets = [];
  let length = 0;
  const push = (chunk) => {
    const bytes = typeof chunk === "string" ? enc.encode(chunk) : chunk;
    parts.push(bytes);
    length += bytes.length;
  };
  const images = [];
  for (const photo of photos) images.push(await jpegOf(photo));
  // objects: 1 catalog, 2 pages, then per page: page, contents, image
  const pageIds = images.map((_, i) => 3 + i * 3);
  push("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
  const object = (id, body, stream) => {
    offsets[id] = length;
    push(`${id} 0 obj\n${body}\n`);
    if (stream) {
      push("stream\n");
      push(stream);
      push("\nendstream\n");
    }
    push("endobj\n");
  };
  object(1, "<< /Type /Catalog /Pages 2 0 R >>");
  object(2, `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(" ")}] /Count ${images.length} >>`);
  images.forEach((img, i) => {
    const [pw, ph] = A4;
    const scale = Math.min((pw - 2 * MARGIN) / img.w, (ph - 2 * MARGIN) / img.h);
    const dw = img.w * scale;
    const dh = img.h * scale;
    const x = (pw - dw) / 2;
    const y = (ph - dh) / 2;
    const id = pageIds[i];
    const content = enc.encode(`q ${dw.toFixed(2)} 0 0 ${dh.toFixed(2)} ${x.toFixed(2)} ${y.toFixed(2)} cm /Im0 Do Q`);
    object(
      id,
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${pw} ${ph}] /Resources << /XObject << /Im0 ${id + 2} 0 R >> >> /Contents ${id + 1} 0 R >>`,
    );
    object(id + 1, `<< /Length ${content.length} >>`, content);
    object(
      id + 2,
      `<< /Type /XObject /Subtype /Image /Width ${img.w} /Height ${img.h} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length ${img.bytes.length} >>`,
      img.bytes,
    );
  });
  const count = 3 + images.length * 3;
  const xref = length;
  let table = `xref\n0 ${count}\n0000000000 65535 f \n`;
  for (let id = 1; id < count; id++) table += `${String(offsets[id]).padStart(10, "0")} 00000 n \n`;
  push(table);
  push(`trailer\n<< /Size ${count} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  return new File(parts, name, { type: "application/pdf" });
}

export const isPhoto = (file) => /^image\/(jpeg|png|webp|heic|heif)$/.test(file.type) || /\.(jpe?g|png|webp|heic)$/i.test(file.name);
