/**
 * Offsets of the structural bytes of a binary contact card (crypto/card.ts layout v1), for tests
 * that damage one field of a valid card on purpose.
 */
export interface CardLayout {
  version: number;
  nRelays: number;
  relays: { scheme: number; len: number }[];
  nDevices: number;
  devices: { labelLen: number; nRelays: number; indexes: number[] }[];
  nRemoved: number;
  nameLen: number;
}

export function cardLayout(b: Uint8Array): CardLayout {
  let o = 1 + 32 + 4 + 64;
  const nRelays = o++;
  const relays = [];
  for (let i = 0; i < b[nRelays]!; i++) {
    relays.push({ scheme: o, len: o + 1 });
    o += 2 + b[o + 1]!;
  }
  const nDevices = o++;
  const devices = [];
  for (let i = 0; i < b[nDevices]!; i++) {
    o += 8 + 32 + 4;
    const labelLen = o;
    o += 1 + b[o]!;
    const n = o;
    const indexes = Array.from({ length: b[n]! }, (_, j) => n + 1 + j);
    devices.push({ labelLen, nRelays: n, indexes });
    o += 1 + b[n]!;
  }
  const nRemoved = o;
  o += 1 + 12 * b[nRemoved]!;
  return { version: 0, nRelays, relays, nDevices, devices, nRemoved, nameLen: o };
}

/** Every structural offset of a card, flat. */
export function structuralOffsets(b: Uint8Array): number[] {
  const l = cardLayout(b);
  return [l.version, l.nRelays, ...l.relays.flatMap((r) => [r.scheme, r.len]), l.nDevices, ...l.devices.flatMap((d) => [d.labelLen, d.nRelays, ...d.indexes]), l.nRemoved, l.nameLen];
}
