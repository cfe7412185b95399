// Draws Veil's app icons as PNG without any image library: a dark tile with a light
// crescent "veil" over a speech bubble. Run once: `node scripts/make-icons.mjs`; output is committed.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
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
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x + 0.5, y + 0.5, size);
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = r; raw[o + 1] = g; raw[o + 2] = b; raw[o + 3] = a;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0))
  ]);
}

const BG = [17, 19, 24];
const FG = [196, 181, 253];
const ACCENT = [129, 140, 248];
const mix = (a, b, t) => a.map((v, i) => Math.round(v + (b[i] - v) * t));

/** `safe` is the fraction of the tile the artwork may use (maskable icons keep to the inner 80%). */
function icon(safe, rounded) {
  return (x, y, size) => {
    const u = (x / size - 0.5) / safe + 0.5;
    const v = (y / size - 0.5) / safe + 0.5;
    // Rounded tile for "any" icons, full bleed for maskable ones.
    if (rounded) {
      const r = 0.22, dx = Math.max(Math.abs(x / size - 0.5) - (0.5 - r), 0), dy = Math.max(Math.abs(y / size - 0.5) - (0.5 - r), 0);
      if (Math.hypot(dx, dy) > r) return [0, 0, 0, 0];
    }
    let c = BG;
    // Speech bubble: a disc with a tail.
    const bub = Math.hypot(u - 0.5, v - 0.47) < 0.3 || (u > 0.28 && u < 0.42 && v > 0.62 && v < 0.8 && u - 0.28 > (v - 0.62) * 0.6);
    if (bub) c = ACCENT;
    // The veil: a lighter crescent across the bubble's upper half.
    const inOuter = Math.hypot(u - 0.5, v - 0.47) < 0.3;
    const inCut = Math.hypot(u - 0.5, v - 0.62) < 0.3;
    if (inOuter && !inCut) c = mix(FG, [255, 255, 255], 0.2);
    return [...c, 255];
  };
}

const out = new URL('../static/', import.meta.url);
writeFileSync(new URL('icons/icon-192.png', out), png(192, icon(1, true)));
writeFileSync(new URL('icons/icon-512.png', out), png(512, icon(1, true)));
writeFileSync(new URL('icons/maskable-512.png', out), png(512, icon(0.8, false)));
writeFileSync(new URL('icons/apple-touch-icon.png', out), png(180, icon(0.85, false)));
writeFileSync(new URL('favicon.png', out), png(64, icon(1, true)));
console.log('icons written');
