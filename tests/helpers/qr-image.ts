/**
 * QR codes as pictures for the scanning tests: RGBA pixels (what a canvas's ImageData holds), a PNG
 * file (a photo or screenshot to choose) and a YUV4MPEG2 video (Chromium's fake camera reads it).
 */
import { crc32, deflateSync } from 'node:zlib';
import qrcode from 'qrcode-generator';

export interface Rgba {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

/** `text` as a QR code (byte mode, level M, as QrCode.svelte draws it): `scale` px per module, dark on white. */
export function qrPixels(text: string, opts: { scale?: number; margin?: number; width?: number; height?: number } = {}): Rgba {
  const q = qrcode(0, 'M');
  q.addData(text, 'Byte');
  q.make();
  const n = q.getModuleCount();
  const scale = opts.scale ?? 4;
  const side = (n + 2 * (opts.margin ?? 4)) * scale;
  const width = Math.max(opts.width ?? side, side);
  const height = Math.max(opts.height ?? side, side);
  // The code centred on white.
  const x0 = Math.floor((width - n * scale) / 2);
  const y0 = Math.floor((height - n * scale) / 2);
  const data = new Uint8ClampedArray(width * height * 4).fill(255);
  for (let y = 0; y < n * scale; y++)
    for (let x = 0; x < n * scale; x++) {
      if (!q.isDark(Math.floor(y / scale), Math.floor(x / scale))) continue;
      const i = ((y0 + y) * width + x0 + x) * 4;
      data[i] = data[i + 1] = data[i + 2] = 0;
    }
  return { data, width, height };
}

function chunk(type: string, body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([len, typed, crc]);
}

/** A PNG (8-bit RGBA, no filtering) of `img`. */
export function png(img: Rgba): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(img.width, 0);
  header.writeUInt32BE(img.height, 4);
  header.set([8, 6, 0, 0, 0], 8);
  const rows = Buffer.alloc((img.width * 4 + 1) * img.height);
  for (let y = 0; y < img.height; y++) {
    rows[y * (img.width * 4 + 1)] = 0;
    rows.set(img.data.subarray(y * img.width * 4, (y + 1) * img.width * 4), y * (img.width * 4 + 1) + 1);
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * A YUV4MPEG2 (C420) video of `img` repeated `frames` times; width and height must be even.
 * Black and white only, so luma is the grey level and chroma is neutral (128).
 */
export function y4m(img: Rgba, frames = 10): Buffer {
  const { width: w, height: h } = img;
  if (w % 2 || h % 2) throw new Error('y4m: width and height must be even');
  const luma = Buffer.alloc(w * h);
  for (let i = 0; i < w * h; i++) luma[i] = img.data[i * 4]!;
  const chroma = Buffer.alloc((w / 2) * (h / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n', 'ascii'), luma, chroma]);
  return Buffer.concat([Buffer.from(`YUV4MPEG2 W${w} H${h} F10:1 Ip A1:1 C420\n`, 'ascii'), ...Array.from({ length: frames }, () => frame)]);
}
