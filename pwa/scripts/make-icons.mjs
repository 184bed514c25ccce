// Draws the app icons as PNG files (no dependencies: shapes → pixels → zlib).
// A white sheet of paper with a red tick on the agency red; the maskable variant keeps
// everything inside the central safe circle (80 % of the size) and fills the bleed.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";

const OUT = join(dirname(fileURLToPath(import.meta.url)), "..", "public", "icons");
const RED = [155, 28, 28];
const WHITE = [255, 255, 255];
const GOLD = [250, 204, 21];

const crcTable = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function png(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

// Shapes in unit coordinates (0..1).
const roundRect = (x0, y0, x1, y1, r) => (x, y) => {
  const dx = Math.max(x0 + r - x, 0, x - (x1 - r));
  const dy = Math.max(y0 + r - y, 0, y - (y1 - r));
  return x >= x0 && x <= x1 && y >= y0 && y <= y1 && dx * dx + dy * dy <= r * r;
};
const segment = (ax, ay, bx, by, w) => (x, y) => {
  const vx = bx - ax, vy = by - ay;
  const t = Math.max(0, Math.min(1, ((x - ax) * vx + (y - ay) * vy) / (vx * vx + vy * vy)));
  const px = ax + t * vx - x, py = ay + t * vy - y;
  return px * px + py * py <= (w / 2) ** 2;
};

/** @param {number} size @param {{maskable?: boolean}} opts */
function drawIcon(size, { maskable = false } = {}) {
  // Content scale: the maskable icon shrinks the drawing into the safe zone.
  const s = maskable ? 0.72 : 1;
  const t = (v) => 0.5 + (v - 0.5) * s;
  const background = maskable ? () => true : roundRect(0, 0, 1, 1, 0.18);
  const paper = roundRect(t(0.26), t(0.16), t(0.74), t(0.84), 0.04 * s);
  const lines = [0.3, 0.38, 0.46].map((yy) => segment(t(0.34), t(yy), t(0.66), t(yy), 0.035 * s));
  const tick = [
    segment(t(0.36), t(0.64), t(0.46), t(0.74), 0.07 * s),
    segment(t(0.46), t(0.74), t(0.66), t(0.54), 0.07 * s),
  ];
  const seal = (x, y) => (x - t(0.7)) ** 2 + (y - t(0.78)) ** 2 <= (0.09 * s) ** 2;

  const rgba = Buffer.alloc(size * size * 4);
  const N = 4; // supersampling per axis
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const acc = [0, 0, 0, 0];
      for (let sy = 0; sy < N; sy++) {
        for (let sx = 0; sx < N; sx++) {
          const x = (px + (sx + 0.5) / N) / size;
          const y = (py + (sy + 0.5) / N) / size;
          if (!background(x, y)) continue;
          let c = RED;
          if (paper(x, y)) c = WHITE;
          if (lines.some((f) => f(x, y))) c = [203, 213, 225];
          if (tick.some((f) => f(x, y))) c = RED;
          if (seal(x, y)) c = GOLD;
          acc[0] += c[0];
          acc[1] += c[1];
          acc[2] += c[2];
          acc[3] += 255;
        }
      }
      const n = N * N;
      const i = (py * size + px) * 4;
      const a = acc[3] / n;
      rgba[i] = a ? Math.round((acc[0] / n) * (255 / a)) : 0;
      rgba[i + 1] = a ? Math.round((acc[1] / n) * (255 / a)) : 0;
      rgba[i + 2] = a ? Math.round((acc[2] / n) * (255 / a)) : 0;
      rgba[i + 3] = Math.round(a);
    }
  }
  return png(size, rgba);
}

mkdirSync(OUT, { recursive: true });
const files = {
  "icon-192.png": drawIcon(192),
  "icon-512.png": drawIcon(512),
  "maskable-512.png": drawIcon(512, { maskable: true }),
  "maskable-192.png": drawIcon(192, { maskable: true }),
  "apple-touch-icon.png": drawIcon(180, { maskable: true }),
  "favicon-32.png": drawIcon(32),
};
for (const [name, data] of Object.entries(files)) writeFileSync(join(OUT, name), data);
console.log(`icons: ${Object.keys(files).length} PNG files in public/icons/`);
