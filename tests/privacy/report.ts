/**
 * Runs the attacks and checks over one world's log and prints the markdown table of the suite:
 * rows = attacks and metrics under each model, columns = the worlds (Veil Live, Veil Private,
 * NIP-17) and chance. Shared by `npm run privacy` (scripts/privacy.ts) and privacy.test.ts.
 */
import { ATTACKS, combined, makeView, type Model } from './attacks';
import { crossValidatedAuc, envelopeExamples, type Examples } from './classifier';
import { seeded } from './clock';
import { bandwidthPerUserDay, lookupsAfterDelivery, roleViolations, type TargetInput } from './checks';
import type { CoverRate } from '../../src/lib/camouflage/schedule';
import { runWorld, type Mode, type Protocol, type RunOptions, type WorldRun } from './population';
import { crossDayLinking, degreeLeak, identify, nodeUsers, scoreEdges, twoRelayMatch, type EdgeScore, type Identification, type Rate } from './score';

export const MODELS: readonly Model[] = ['ip', 'noip'];
export const COMBINED = 'all attacks combined';

export interface WorldMetrics extends TargetInput {
  label: string;
  run: Omit<WorldRun, 'log'> & { logRecords: number };
  edges: Record<Model, Record<string, EdgeScore>>;
  ident: Record<Model, Identification>;
  recipient: Record<Model, Rate>;
  crossDay: Rate;
  twoRelay: Record<Model, Rate>;
  bandwidth: { meanBytes: number; maxBytes: number; userDays: number };
  messages: { sent: number; delivered: number };
  /** The classifier's examples, when SuiteOptions.keepExamples (for `npm run privacy --examples FILE`). */
  coverExamples?: Examples;
  /** Cover vs real (issue 10): cross-validated AUC of a logistic regression on every observable feature, IP model; NaN without cover. */
  coverClassifier: { auc: number; n: number; real: number; cover: number };
  /** Distinct client IPs the proxy saw (one loopback address per simulated user). */
  clientIps: number;
}

/** Every attack and metric of one world. */
export function measure(label: string, run: WorldRun, keepExamples = false): WorldMetrics {
  const examples = run.protocol === 'veil' ? envelopeExamples(run.log, run.truth, 'ip') : undefined;
  const edges = {} as WorldMetrics['edges'];
  const ident = {} as WorldMetrics['ident'];
  const twoRelay = {} as WorldMetrics['twoRelay'];
  let leak = NaN;
  for (const model of MODELS) {
    const v = makeView(run.log, model);
    const users = nodeUsers(v, run.truth);
    edges[model] = {};
    for (const [name, f] of Object.entries(ATTACKS)) edges[model][name] = scoreEdges(f(v), run.truth, users);
    edges[model][COMBINED] = scoreEdges(combined(v), run.truth, users);
    ident[model] = identify(v, run.truth, users);
    twoRelay[model] = twoRelayMatch(v, run.truth, run.envelopeRelays);
    if (model === 'ip') leak = degreeLeak(v, run.truth, users);
  }
  const { log, ...rest } = run;
  return {
    label,
    run: { ...rest, logRecords: log.length },
    edges,
    ident,
    recipient: { ip: { rate: ident.ip.recipient, chance: ident.ip.chance, n: ident.ip.n }, noip: { rate: ident.noip.recipient, chance: ident.noip.chance, n: ident.noip.n } },
    degreeLeak: leak,
    // Each world's message readers: NIP-17 users' gift-wrap readers, Veil users' bucket readers.
    crossDay: crossDayLinking(makeView(run.log, 'noip'), run.truth, run.protocol === 'nip17' ? [1059, 4] : [1067]),
    twoRelay,
    roleViolations: roleViolations(log, run.truth),
    coverClassifier: examples ? crossValidatedAuc(examples, seeded(1)) : { auc: NaN, n: 0, real: 0, cover: 0 },
    ...(keepExamples && examples ? { coverExamples: examples } : {}),
    lookupsAfterDelivery: lookupsAfterDelivery(log, undefined, run.truth),
    bandwidth: bandwidthPerUserDay(log, run.truth),
    messages: { sent: run.truth.messages.length, delivered: run.truth.messages.filter((m) => m.delivered).length },
    // A socket aborted before its handshake ends may reach the proxy without a remote address: not a client.
    clientIps: new Set(log.flatMap((r) => (r.t === 'open' && r.ip !== '' ? [r.ip] : []))).size
  };
}

export interface SuiteOptions {
  users: number;
  days: number;
  seed: number;
  /** Also run Veil in Private mode (once the Messenger has `mode`). */
  private?: boolean;
  /** Also run Veil Live with the default cover rate (issue 10). */
  cover?: boolean;
  /** Keep each Veil world's classifier examples in its metrics. */
  keepExamples?: boolean;
  /** Only the worlds with these labels (WORLDS); all that the other options allow when absent. */
  only?: readonly string[];
  /** Run the worlds at the same time (each has its own relays, proxy and clock). */
  parallel?: boolean;
  /** World-model knobs (sessions per day, conversation rate, degree). */
  world?: Pick<RunOptions, 'sessionsPerDay' | 'convPerEdgeDay' | 'degree'>;
  progress?: (line: string) => void;
}

/** Live mode is measured without cover ("as today", issue 9) and with the default cover rate (issue 10). */
export const WORLDS: readonly { label: string; protocol: Protocol; mode: Mode; cover: CoverRate }[] = [
  { label: 'Veil Live', protocol: 'veil', mode: 'live', cover: 'off' },
  { label: 'Veil Live + cover', protocol: 'veil', mode: 'live', cover: 'default' },
  { label: 'Veil Private', protocol: 'veil', mode: 'private', cover: 'off' },
  { label: 'NIP-17', protocol: 'nip17', mode: 'live', cover: 'off' }
];

/** Runs the worlds one after the other (same world model, same seed) and measures each. */
export async function runSuite(o: SuiteOptions): Promise<WorldMetrics[]> {
  const one = async (w: (typeof WORLDS)[number]): Promise<WorldMetrics> => {
    const progress = o.progress;
    const opts: RunOptions = { ...o.world, users: o.users, days: o.days, seed: o.seed, protocol: w.protocol, mode: w.mode, cover: w.cover, ...(progress ? { progress: (l: string) => progress(`${w.label}: ${l}`) } : {}) };
    return measure(w.label, await runWorld(opts), o.keepExamples);
  };
  const worlds = WORLDS.filter((w) => (o.only ? o.only.includes(w.label) : (w.mode !== 'private' || o.private) && (w.cover === 'off' || o.cover)));
  if (o.parallel) return Promise.all(worlds.map(one));
  const out: WorldMetrics[] = [];
  for (const w of worlds) out.push(await one(w));
  return out;
}

const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : 'n/a');
const MODEL_NAME: Record<Model, string> = { ip: 'relay sees IPs', noip: 'no IPs (Tor-like)' };

/** The markdown table (see the module comment). */
export function formatTable(worlds: readonly WorldMetrics[]): string {
  const head = ['what the relay recovers, from its log alone', ...worlds.map((w) => w.label), 'chance'];
  const rows: string[][] = [];
  const first = worlds[0];
  if (!first) return '';
  for (const model of MODELS) {
    for (const name of [...Object.keys(ATTACKS), COMBINED]) {
      rows.push([`${name} (${MODEL_NAME[model]}): edge precision / recall`, ...worlds.map((w) => `${pct(w.edges[model][name]!.precision)} / ${pct(w.edges[model][name]!.recall)}`), pct(first.edges[model][name]!.chance)]);
    }
    rows.push([`sender of a message named (${MODEL_NAME[model]})`, ...worlds.map((w) => pct(w.ident[model].sender)), pct(first.ident[model].chance)]);
    rows.push([`recipient of a message named (${MODEL_NAME[model]})`, ...worlds.map((w) => pct(w.ident[model].recipient)), pct(first.ident[model].chance)]);
    rows.push([`two relays match an envelope's copies (${MODEL_NAME[model]})`, ...worlds.map((w) => pct(w.twoRelay[model].rate)), pct(first.twoRelay[model].chance)]);
  }
  rows.push(['degree leak: r(REQ tag count, true degree)', ...worlds.map((w) => (Number.isFinite(w.degreeLeak) ? w.degreeLeak.toFixed(2) : 'n/a')), '0']);
  rows.push(['cross-day linking of readers by tag overlap', ...worlds.map((w) => pct(w.crossDay.rate)), pct(first.crossDay.chance)]);
  rows.push(['envelope sockets with AUTH / authors / npub (violations)', ...worlds.map((w) => String(w.roleViolations.length)), '0']);
  rows.push(['identity lookups ≤ 60 s after an envelope for that user reached its IP', ...worlds.map((w) => String(w.lookupsAfterDelivery)), '0']);
  rows.push(['cover vs real envelopes: classifier AUC (real / cover publishes)', ...worlds.map((w) => (Number.isFinite(w.coverClassifier.auc) ? `${w.coverClassifier.auc.toFixed(2)} (${w.coverClassifier.real} / ${w.coverClassifier.cover})` : 'n/a')), '0.50']);
  rows.push(['bytes delivered to message readers per active user-day (mean / max)', ...worlds.map((w) => `${kib(w.bandwidth.meanBytes)} / ${kib(w.bandwidth.maxBytes)}`), '']);
  rows.push(['messages delivered / sent', ...worlds.map((w) => `${w.messages.delivered} / ${w.messages.sent}`), '']);
  rows.push(['users / true edges / run time', ...worlds.map((w) => `${w.run.truth.users.length} / ${w.run.truth.edges.length} / ${w.run.seconds.toFixed(0)} s`), '']);
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
