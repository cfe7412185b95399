/**
 * Prints the bandwidth table of docs/proposals/0005-traffic.md §Bandwidth: what one reader downloads
 * from one relay per active user-day as the relay's daily envelope volume grows, with the bucket level
 * from levelForVolume(V, PER_BUCKET) and READ_BUCKETS = min(2^L, 16) buckets read per relay and day.
 * The event size is measured: a class-1 v2 pair envelope carrying a short chat message is sealed and
 * its outer event JSON counted. Run: node --import tsx scripts/bandwidth.ts
 */
import { finalizeEvent } from 'nostr-tools/pure';
import { bytesToHex, randomBytes } from '../src/lib/shared/bytes';
import { bucketPoint, levelForVolume, pairTagKey } from '../src/lib/crypto/bucket';
import { chatMessageTemplate, sealEnvelope } from '../src/lib/crypto/envelope';
import { generateSecretKey, getXOnlyPublicKey } from '../src/lib/crypto/keys';
import { derivePairKey, epochDay } from '../src/lib/crypto/mailbox';

/** Budget (spec 0005 §Bucket count): envelopes per bucket per day. */
const PER_BUCKET = 2000;
/** Buckets a reader reads per relay and day at most (before padding past 16 distinct pair buckets). */
const MAX_READ_BUCKETS = 16;
/** Assumed real envelopes per active user-day (sent and received copies included). */
const ENVELOPES_PER_USER_DAY = 10;
/** Private mode: exponential poll intervals, mean 10 min: polls in a day with the app open throughout. */
const PRIVATE_POLLS_PER_DAY = 86_400 / 600;
const VOLUMES = [1_000, 10_000, 100_000, 1_000_000, 10_000_000];

async function classOneEventBytes(): Promise<{ event: number; frame: number }> {
  const now = Math.floor(Date.now() / 1000);
  const me = generateSecretKey();
  const them = generateSecretKey();
  const identity = generateSecretKey();
  const themEk = getXOnlyPublicKey(them);
  const pairKey = derivePairKey(me, themEk);
  const day = epochDay(now);
  const inner = finalizeEvent(chatMessageTemplate({ text: 'See you at eight at the usual place?', recipients: [bytesToHex(getXOnlyPublicKey(generateSecretKey()))], createdAt: now }), identity);
  const ev = await sealEnvelope({
    recipientEk: themEk,
    mailbox: bucketPoint('wss://relay.example.com', day, 0, 0),
    payload: { type: 'event', event: inner },
    nowSeconds: now,
    pairTagKey: pairTagKey(pairKey, getXOnlyPublicKey(me), themEk, day)
  });
  if (ev.content.length !== 1368) throw new Error('expected a class-1 envelope');
  const subId = bytesToHex(randomBytes(8));
  return { event: new TextEncoder().encode(JSON.stringify(ev)).length, frame: new TextEncoder().encode(JSON.stringify(['EVENT', subId, ev])).length };
}

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
const mb = (bytes: number) => (bytes / 1e6).toLocaleString('en-US', { maximumFractionDigits: bytes < 1e7 ? 1 : 0 });

async function main() {
  const size = await classOneEventBytes();
  const rows = VOLUMES.map((v) => {
    const level = levelForVolume(v, PER_BUCKET);
    const buckets = 2 ** level;
    const perBucket = v / buckets;
    const read = Math.min(buckets, MAX_READ_BUCKETS);
    const envelopes = perBucket * read;
    const live = envelopes * size.event;
    // Private: each poll re-reads today's window (half a day's envelopes on average; created_at is
    // backdated, so no `since` can skip what was seen) and each closed day is read once more.
    const poll = (envelopes / 2) * size.event;
    const priv = PRIVATE_POLLS_PER_DAY * poll + live;
    const users = v / ENVELOPES_PER_USER_DAY;
    const readersPerBucket = (users * read) / buckets;
    return [fmt(v), String(level), fmt(buckets), fmt(perBucket), String(read), fmt(envelopes), mb(live), mb(poll), mb(priv), fmt(users), fmt(readersPerBucket)];
  });
  const head = ['envelopes/day on the relay', 'level L', 'buckets', 'envelopes per bucket', 'read buckets', 'envelopes read', 'Live MB/day', 'one Private poll MB', 'Private MB/day (open 24 h)', 'active users', 'readers per bucket'];
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => '---:').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log('');
  console.log(
    `Per relay and reader, pair buckets only (the intro bucket and the window re-read at each app start come on top). Event size measured: a class-1 v2 outer event is ${size.event} bytes of JSON (${size.frame} as a relay's ["EVENT", sub, event] frame). PER_BUCKET = ${PER_BUCKET}, READ_BUCKETS = min(2^L, ${MAX_READ_BUCKETS}), ${ENVELOPES_PER_USER_DAY} envelopes per active user-day, Private mode ${PRIVATE_POLLS_PER_DAY} polls a day. MB = 10^6 bytes.`
  );
}

await main();
