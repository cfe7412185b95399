/** Hands bytes to the browser as a download named `veil-file` (the name a sender chose is not trusted). */
export function saveBytes(bytes: Uint8Array, mimeType?: string): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mimeType ?? 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'veil-file';
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
