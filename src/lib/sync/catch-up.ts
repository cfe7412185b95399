/**
 * Catch-up that junk cannot crowd out (issue 11, spec 0005 §Reading). A relay answers a REQ with
 * the NEWEST `limit` stored events per filter, so 1,000 signed junk events newer than a real
 * envelope used to push it out of the answer for good. This reads each relay's stored events in
 * pages instead:
 * - the first page is the subscription itself (kept open in Live mode for live events);
 * - when a relay's answer to a filter fills the page, the next page asks for the same filter with
 *   `until` = the oldest created_at seen so far (inclusive: events of that second are asked for
 *   again; the inbound pipeline drops what it has already seen), once, closed at its EOSE;
 * - paging stops when a page comes back short, or after `maxPages`, when the relay is reported
 *   incomplete so the user is told (relays.ts shows it) and its read point is not moved on.
 * A relay may clamp `limit` without saying so (strfry caps it at 500, many at 100): a page counts
 * as full at the relay's NIP-11 `max_limit` when known, otherwise at UNKNOWN_RELAY_PAGE or at any
 * round count (mayBeCut).
 */
import { matchFilter, type Filter as NtFilter } from 'nostr-tools/filter';
import type { NostrEvent as NtEvent } from 'nostr-tools/pure';
import type { PoolSubscription, RelayPool } from '../relay/pool';
import type { Filter, RelayRejection } from '../relay/types';
import { normalizeRelayUrl } from '../relay/url';
import type { IdCheckedEvent, TrustedEvent } from '../shared/trusted-event';

/** Events asked for per filter and page (relays clamp it to their max_limit). */
export const PAGE_LIMIT = 1000;
/** A page from a relay whose max_limit is unknown counts as full at this many events. */
export const UNKNOWN_RELAY_PAGE = 100;
/** Pages read per relay and filter in one catch-up before it is reported incomplete. */
export const MAX_PAGES = 10;

export interface CatchUpHandlers {
  /** A verified event (first time seen by this catch-up) from `relay`. */
  onevent(event: TrustedEvent, relay: string): void;
  /** An event the pool's prefilter deferred: id checked, SIGNATURE NOT VERIFIED (pool.ts `ondeferred`). */
  ondeferred?(event: IdCheckedEvent, relay: string): void;
  /** Every page of `relay` is in: `complete` is false when the page bound was reached. */
  onrelaydone?(relay: string, complete: boolean): void;
  /**
   * Once: every relay is done, down or past the pool's EOSE timeout, and no page is running.
   * `complete` is false when some relay reached the page bound or ended a page with CLOSED.
   */
  ondone?(complete: boolean): void;
  /** The subscription was ended by `relay` (CLOSED). */
  onclosed?(relay: string, rejection: RelayRejection): void;
}

export interface CatchUpOptions {
  relays: readonly string[];
  /** Close the first page at EOSE too (a Private-mode poll); otherwise it stays open for live events. */
  once: boolean;
  /** The relay's NIP-11 max_limit, when known. */
  maxLimit?(relay: string): number | undefined;
  pageLimit?: number;
  maxPages?: number;
}

/** How many events fill a page on a relay that clamps `limit` to `maxLimit` (if known). */
export function fullPage(pageLimit: number, maxLimit: number | undefined): number {
  const cap = maxLimit !== undefined && Number.isSafeInteger(maxLimit) && maxLimit > 0 ? maxLimit : UNKNOWN_RELAY_PAGE;
  return Math.min(pageLimit, cap);
}

/**
 * Whether an answer of `count` events may have been cut short by the relay. At its announced
 * max_limit, yes. With none announced a relay may clamp silently at any round number (10, 20, 50,
 * 100…), so a round count of at least 10 is followed by one more page too: it costs one REQ and, when
 * nothing was cut, comes back with little more than the events of the second it starts at.
 */
export function mayBeCut(count: number, pageLimit: number, maxLimit: number | undefined): boolean {
  if (count >= fullPage(pageLimit, maxLimit)) return true;
  const known = maxLimit !== undefined && Number.isSafeInteger(maxLimit) && maxLimit > 0;
  return !known && count >= 10 && count % 10 === 0;
}

/** The oldest created_at and the count of one relay's answer to one filter, for one page. */
class PageTally {
  count = 0;
  oldest = Infinity;
  add(createdAt: number): void {
    this.count++;
    if (createdAt < this.oldest) this.oldest = createdAt;
  }
}

/**
 * The `until` of the next page after a full one whose oldest event is at `oldest`, or null when no
 * page can make progress. Inclusive: events of that second the relay cut off are asked for again.
 * When the whole page shared one second (more events in it than a page holds) the next page starts
 * a second earlier, and the relay is reported incomplete.
 */
export function nextUntil(oldest: number, previousUntil: number | undefined): { until: number; skipped: boolean } | null {
  if (!Number.isFinite(oldest)) return null;
  if (previousUntil !== undefined && oldest >= previousUntil) return oldest - 1 < 0 ? null : { until: oldest - 1, skipped: true };
  return { until: oldest, skipped: false };
}

/** Reads the stored events of `filters` on each relay in pages (see the module comment). */
export function catchUp(pool: RelayPool, filters: Filter[], handlers: CatchUpHandlers, opts: CatchUpOptions): PoolSubscription {
  const pageLimit = opts.pageLimit ?? PAGE_LIMIT;
  const maxPages = opts.maxPages ?? MAX_PAGES;
  const first = filters.map((f) => ({ ...f, limit: pageLimit }));
  const pages = new Set<PoolSubscription>();
  /** Per relay whose first page is in: the pages still running; when 0 the relay is done. */
  const running = new Map<string, { open: number; complete: boolean }>();
  const relays = [...new Set(opts.relays.map((r) => normalizeRelayUrl(r)))];
  /** Per relay: the tally of the first page since its last EOSE (a reconnect re-sends the REQ). */
  const firstTally = new Map<string, PageTally[]>(relays.map((r) => [r, first.map(() => new PageTally())]));
  const firstEosed = new Set<string>();
  let closed = false;
  let mainDone = false;
  let allComplete = true;
  let doneCalled = false;
  const checkDone = (): void => {
    if (closed || doneCalled || !mainDone || running.size > 0) return;
    doneCalled = true;
    handlers.ondone?.(allComplete);
  };

  // Live events after an EOSE are counted too: at worst they cause one extra page after a reconnect.
  const tally = (relay: string, ev: Pick<TrustedEvent, 'created_at' | 'kind' | 'tags'>): void => {
    const t = firstTally.get(relay);
    if (!t) return;
    first.forEach((f, i) => {
      if (matchFilter(f as NtFilter, ev as unknown as NtEvent)) t[i]!.add(ev.created_at);
    });
  };

  const settle = (relay: string): void => {
    const r = running.get(relay)!;
    if (r.open > 0 || closed) return;
    running.delete(relay);
    if (!r.complete) allComplete = false;
    handlers.onrelaydone?.(relay, r.complete);
    checkDone();
  };

  const page = (relay: string, filter: Filter, until: number, n: number): void => {
    const r = running.get(relay)!;
    if (n > maxPages) {
      r.complete = false;
      return;
    }
    r.open++;
    const t = new PageTally();
    const sub = pool.subscribe(
      [{ ...filter, until, limit: pageLimit }],
      {
        onevent: (ev) => {
          t.add(ev.created_at);
          handlers.onevent(ev, relay);
        },
        // Dropped unverified as someone else's mail (the pool's prefilter): it still filled the page.
        onskipped: (ev) => t.add(ev.created_at),
        ...(handlers.ondeferred
          ? {
              ondeferred: (ev: IdCheckedEvent) => {
                t.add(ev.created_at);
                handlers.ondeferred!(ev, relay);
              }
            }
          : {}),
        onrelayeose: () => {
          sub.close();
          pages.delete(sub);
          r.open--;
          if (!closed && mayBeCut(t.count, pageLimit, opts.maxLimit?.(relay))) {
            const next = nextUntil(t.oldest, until);
            if (next) {
              if (next.skipped) r.complete = false;
              page(relay, filter, next.until, n + 1);
            } else r.complete = false;
          }
          settle(relay);
        },
        onclosed: (_relay, rejection) => {
          pages.delete(sub);
          r.open--;
          r.complete = false;
          handlers.onclosed?.(relay, rejection);
          settle(relay);
        }
      },
      { relays: [relay] }
    );
    pages.add(sub);
  };

  const main: PoolSubscription = pool.subscribe(
    first,
    {
      onevent: (ev, from) => {
        const relay = [...from][0]!;
        tally(relay, ev);
        handlers.onevent(ev, relay);
      },
      onseen: (ev, relay) => tally(relay, ev),
      onskipped: (ev, relay) => tally(relay, ev),
      ...(handlers.ondeferred
        ? {
            ondeferred: (ev: IdCheckedEvent, from: ReadonlySet<string>) => {
              const relay = [...from][0]!;
              tally(relay, ev);
              handlers.ondeferred!(ev, relay);
            }
          }
        : {}),
      onrelayeose: (relay) => {
        const t = firstTally.get(relay)!;
        firstTally.set(relay, first.map(() => new PageTally()));
        firstEosed.add(relay);
        if (running.has(relay)) return; // still paging from the last EOSE
        running.set(relay, { open: 0, complete: true });
        const maxLimit = opts.maxLimit?.(relay);
        first.forEach((f, i) => {
          if (!mayBeCut(t[i]!.count, pageLimit, maxLimit)) return;
          const next = nextUntil(t[i]!.oldest, f.until);
          if (next) page(relay, f, next.until, 2);
        });
        if (opts.once && firstEosed.size === relays.length) main.close();
        settle(relay);
      },
      oneose: () => {
        mainDone = true;
        checkDone();
      },
      onclosed: (relay, rejection) => {
        firstEosed.add(relay);
        allComplete = false;
        handlers.onclosed?.(relay, rejection);
      }
    },
    { relays }
  );

  return {
    close: () => {
      if (closed) return;
      closed = true;
      main.close();
      for (const s of pages) s.close();
      pages.clear();
    }
  };
}

/** The NIP-11 max_limit of each relay of `pool`, as the pool fetched it (undefined when unknown). */
export function maxLimitOf(pool: Pick<RelayPool, 'status'>): (relay: string) => number | undefined {
  return (relay) => pool.status().find((s) => s.url === relay)?.info?.limitation.max_limit;
}
