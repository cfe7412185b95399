/**
 * What the account controls (account.svelte.ts) load on first use, not with the first screen: the
 * identity flows of sync/account.ts bring the key crypto and, for a bunker, relay code (issue 12 §6).
 * Also the views that need an npub (its encoding brings the curve code).
 */
import { encodeNpub } from '../crypto/nip19';
import type { Contact } from '../store';
import type { Session } from '../sync/account';
import { npubFingerprint } from '../sync/profile';
import type { IdentityInfo } from '../sync/types';
import { shortNpub, type BlockedContact } from './account.svelte';

export {
  bunkerIdentity,
  changePassphrase,
  createLocalIdentity,
  defaultDeviceLabel,
  extensionIdentity,
  forgetDevice,
  importIdentity,
  keyLocation,
  revealKey,
  unlockSession
} from '../sync/account';
export { parseContactInput } from '../crypto/nip19';
export { deleteVeilDatabase } from '../store';

/** What the components show of the signed-in identity. */
export function identityInfo(session: Session): IdentityInfo {
  const npub = encodeNpub(session.account.pubkey);
  const { deviceId, deviceLabel } = session;
  return { pubkey: session.account.pubkey, npub, signer: session.signer.kind, fingerprint: npubFingerprint(npub), deviceId, deviceLabel };
}

export function blockedView(c: Contact): BlockedContact {
  const npub = encodeNpub(c.pubkey);
  return { pubkey: c.pubkey, npub, name: c.petname ?? c.profile?.displayName ?? c.profile?.name ?? shortNpub(npub) };
}
