// The extension's icons, drawn here at build time: a rounded Azure-blue square with a white
// "F", rendered with 4x4 supersampling and written as RGBA PNGs (a tiny encoder on zlib).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

const BLUE = [0, 120, 212];
const WHITE = [255, 255, 255];
/** The "F", as rectangles in unit coordinates [x0, y0, x1, y1]. */
const GLYPH = [
  [0.3, 0.22, 0.44, 0.78],
  [0.3, 0.22, 0.72, 0.35],
  [0.3, 0.45, 0.64, 0.57],
];

function insideRoundedSquare(x, y, r = 0.2) {
  const cx = Math.min(Math.max(x, r), 1 - r);
  const cy = Math.min(Math.max(y, r), 1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

const insideGlyph = (x, y) => GLYPH.some(([x0, y0, x1, y1]) => x >= x0 && x <= x1 && y >= y0 && y <= y1);

/** RGBA pixels of the icon at `size` x `size`. */
export function drawIcon(size) {
  const px = Buffer.alloc(size * size * 4);
  const n = 4;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let bg = 0;
      let fg = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const u = (x + (sx + 0.5) / n) / size;
          const v = (y + (sy + 0.5) / n) / size;
          if (!insideRoundedSquare(u, v)) continue;
          if (insideGlyph(u, v)) fg++;
          else bg++;
        }
      }
      const total = n * n;
      const alpha = (bg + fg) / total;
      const mix = bg + fg === 0 ? 0 : fg / (bg + fg);
      const i = (y * size + x) * 4;
      for (let c = 0; c < 3; c++) px[i + c] = Math.round(BLUE[c] * (1 - mix) + WHITE[c] * mix);
      px[i + 3] = Math.round(alpha * 255);
    }
  }
  return px;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, k) => {
  let c = k;
  for (let i = 0; i < 8; i++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** Encodes RGBA pixels as a PNG (8-bit, colour type 6, no filtering). */
export function encodePng(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export const ICON_SIZES = [16, 32, 48, 128];

/** Writes icons/icon-{size}.png into `dir`. */
export function writeIcons(dir) {
  mkdirSync(join(dir, 'icons'), { recursive: true });
  for (const size of ICON_SIZES) writeFileSync(join(dir, 'icons', `icon-${size}.png`), encodePng(size, drawIcon(size)));
}
