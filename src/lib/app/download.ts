/** Hands bytes to the browser as a download named `veil-file` (the name a sender chose is not trusted) or a name Veil chose. */
export function saveBytes(bytes: Uint8Array, mimeType?: string, name = 'veil-file'): void {
  saveBlob(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mimeType ?? 'application/octet-stream' }), name);
}

/** Hands a Blob (e.g. one made of many parts, a backup) to the browser as a download named `name`. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
