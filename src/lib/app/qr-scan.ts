/**
 * Scanning a contact's QR code (issue 14 §5): pixels → text → a contact for the New chat box.
 *
 * The decoding is split so it runs in Node: `decodeQrPixels` takes ImageData-like pixels and
 * `contactFromQr` turns decoded text into a contact or a typed error. The browser pieces (the
 * camera, BarcodeDetector, drawing a frame or a file to a canvas) are thin wrappers around them.
 * jsQR is loaded on first use (a dynamic import), so it is not in the first-load bundle; where the
 * browser has a BarcodeDetector that reads QR codes, it is used instead.
 */
import { parseContactInput, type ContactInput } from '../crypto/nip19';
import { isVeilError, userError, VeilError } from '../shared/errors';
import { m } from '../paraglide/messages';

/** RGBA pixels, as ImageData holds them (4 bytes per pixel, row by row). */
export interface Pixels {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

/** A contact read from a QR code: the text for the Contact box and what it names. */
export interface ScannedContact {
  text: string;
  contact: Exclude<ContactInput, { type: 'hex' }>;
}

/**
 * The text of the QR code in `img`, or null when none is found. `thorough` also tries the
 * inverted image (light modules on dark), which doubles the work: for a still image, not frames.
 */
export async function decodeQrPixels(img: Pixels, thorough = false): Promise<string | null> {
  if (img.data.length !== img.width * img.height * 4) throw new VeilError('INVALID_INPUT', 'pixels: data length is not width × height × 4');
  const { default: jsQR } = await import('jsqr');
  const code = jsQR(img.data, img.width, img.height, { inversionAttempts: thorough ? 'attemptBoth' : 'dontInvert' });
  return code ? code.data : null;
}

/**
 * A scanned text as a contact: an npub, an nprofile or a contact card link (with or without
 * `nostr:`). A secret key keeps its own warning (NSEC_WHERE_CONTACT_EXPECTED) and a damaged card
 * its own (INVALID_CONTACT_CARD); anything else, a bare hex key included (it may be a secret), is
 * QR_NOT_CONTACT. The text itself is never put in an error.
 */
export function contactFromQr(text: string): ScannedContact {
  const trimmed = typeof text === 'string' ? text.trim() : '';
  let contact: ContactInput;
  try {
    contact = parseContactInput(trimmed);
  } catch (e) {
    if (isVeilError(e, 'NSEC_WHERE_CONTACT_EXPECTED') || isVeilError(e, 'INVALID_CONTACT_CARD')) throw e;
    throw new VeilError('QR_NOT_CONTACT', 'qr: not a contact', { cause: e });
  }
  if (contact.type === 'hex') throw new VeilError('QR_NOT_CONTACT', 'qr: a bare hex key is not a contact code');
  return { text: trimmed, contact };
}

/** The camera's failure as a typed error (getUserMedia's DOMException names, or no camera API at all). */
export function cameraError(e: unknown): VeilError {
  const name = e instanceof DOMException || e instanceof Error ? e.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return new VeilError('CAMERA_DENIED', `camera: ${name}`, { cause: e });
  if (name === 'NotReadableError' || name === 'AbortError')
    return userError('CAMERA_UNAVAILABLE', m.err_camera_busy(), { cause: e });
  return new VeilError('CAMERA_UNAVAILABLE', `camera: ${name || 'unavailable'}`, { cause: e });
}

// ---- browser pieces ----

interface DetectedCode {
  rawValue: string;
}
/** The part of the Barcode Detection API used here (not in TypeScript's DOM types yet). */
export interface QrDetector {
  detect(source: ImageBitmapSource): Promise<DetectedCode[]>;
}
interface DetectorClass {
  new (opts: { formats: string[] }): QrDetector;
  getSupportedFormats(): Promise<string[]>;
}

/** The browser's own QR reader, when it has one that reads QR codes; otherwise null (use jsQR). */
export async function nativeQrDetector(): Promise<QrDetector | null> {
  const Detector = (globalThis as { BarcodeDetector?: DetectorClass }).BarcodeDetector;
  if (!Detector) return null;
  try {
    if (!(await Detector.getSupportedFormats()).includes('qr_code')) return null;
    return new Detector({ formats: ['qr_code'] });
  } catch {
    return null;
  }
}

/** Draws `source` (w × h) scaled so its longer side is at most `maxSide`, and reads its pixels. */
export function pixelsOf(source: CanvasImageSource, w: number, h: number, maxSide: number, canvas = document.createElement('canvas')): Pixels {
  const scale = Math.min(1, maxSide / Math.max(w, h));
  canvas.width = Math.max(1, Math.round(w * scale));
  canvas.height = Math.max(1, Math.round(h * scale));
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new VeilError('INTERNAL', 'no 2d canvas');
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
  return ctx.getImageData(0, 0, canvas.width, canvas.height);
}

/** One camera frame's QR text, or null. `canvas` is reused from frame to frame. */
export async function scanFrame(video: HTMLVideoElement, detector: QrDetector | null, canvas: HTMLCanvasElement): Promise<string | null> {
  if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || video.videoWidth === 0) return null;
  if (detector) return (await detector.detect(video))[0]?.rawValue ?? null;
  return decodeQrPixels(pixelsOf(video, video.videoWidth, video.videoHeight, 800, canvas));
}

/**
 * The contact in a photo or screenshot of a QR code. Large images are read scaled down first
 * (faster, and phone photos are mostly background), then at a larger size. Errors: INVALID_INPUT
 * (not an image), QR_NOT_FOUND, and those of contactFromQr.
 */
export async function scanImageFile(file: Blob): Promise<ScannedContact> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch (cause) {
    throw userError('INVALID_INPUT', m.err_not_image(), { cause });
  }
  try {
    const detector = await nativeQrDetector();
    let text: string | null = detector ? ((await detector.detect(bitmap))[0]?.rawValue ?? null) : null;
    for (const side of [1024, 2048]) {
      if (text !== null) break;
      text = await decodeQrPixels(pixelsOf(bitmap, bitmap.width, bitmap.height, side), true);
      if (Math.max(bitmap.width, bitmap.height) <= side) break;
    }
    if (text === null) throw new VeilError('QR_NOT_FOUND', 'qr: none in the image');
    return contactFromQr(text);
  } finally {
    bitmap.close();
  }
}

/** The rear camera when there is one (`environment`), any camera otherwise. Errors: CAMERA_DENIED, CAMERA_UNAVAILABLE. */
export async function openCamera(): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) throw new VeilError('CAMERA_UNAVAILABLE', 'camera: no getUserMedia (insecure context or old browser)');
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: false, video: { facingMode: { ideal: 'environment' } } });
  } catch (e) {
    throw cameraError(e);
  }
}

/** Stops every track of `stream`: the camera light goes off. */
export function stopCamera(stream: MediaStream | null): void {
  for (const t of stream?.getTracks() ?? []) t.stop();
}
