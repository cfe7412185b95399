/**
 * What the XSS specs watch (issue 11 §6): in every frame of the page, a payload that ran would set
 * the marker `window.__xss`, open a dialog, or break the CSP (`securitypolicyviolation`); any of
 * them is recorded in `hits`. `domFindings` lists elements a payload could have put into the app's
 * tree: active elements, `on*` attributes, and javascript:/data:/vbscript: addresses.
 */
import type { Page } from '@playwright/test';

export interface XssGuard {
  /** One line per thing that must never happen; the test expects it empty. */
  hits: string[];
}

/**
 * Installs the watchers on `page` (before its first navigation). `relays`: the test's ws:// relays.
 * Veil fetches their NIP-11 document over plain http; its CSP allows http only to this machine
 * (connect-src 'self' ws: wss: https: http://127.0.0.1:* http://localhost:*), so a relay addressed
 * otherwise is blocked: that one violation, for exactly those addresses, is the app's and not a payload's.
 */
export async function guardPage(page: Page, relays: readonly string[] = []): Promise<XssGuard> {
  const hits: string[] = [];
  const nip11 = new Set(relays.map((r) => r.replace(/^ws:/, 'http:').replace(/\/?$/, '/')));
  page.on('dialog', (d) => {
    hits.push(`dialog ${d.type()}: ${d.message().slice(0, 80)}`);
    void d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => {
    if (/__xss/.test(e.message)) hits.push(`page error from a payload: ${e.message.slice(0, 120)}`);
  });
  await page.exposeBinding('__xssHit', (_source, what: string, blocked?: string) => {
    if (what.startsWith('CSP violation: connect-src') && blocked && nip11.has(blocked)) return;
    hits.push(what);
  });
  await page.addInitScript(() => {
    const w = window as unknown as { __xssHit(what: string, blocked?: string): void };
    // The marker: a setter, so even `window.__xss=1` from a payload is seen at once.
    Object.defineProperty(window, '__xss', {
      configurable: false,
      get: () => undefined,
      set: (v: unknown) => w.__xssHit(`marker __xss set to ${String(v)} in ${location.href.slice(0, 60)}`)
    });
    document.addEventListener('securitypolicyviolation', (e) => {
      w.__xssHit(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${(e.sample || '').slice(0, 60)})`, e.blockedURI);
    });
  });
  return { hits };
}

/**
 * Elements under `.app` (all of Veil's UI: main, banners, prompts) that text from outside could only
 * have made by being parsed as HTML. The app's own images are its icons under /icons/; its own SVG
 * is the QR code (role="img" with a label) and its drawn icons: aria-hidden, with only plain shapes
 * (circle, path, line, rect, polyline) that carry only geometry and paint attributes. Nothing else of
 * these kinds belongs there.
 */
export function domFindings(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const root = document.querySelector('.app');
    if (!root) return ['no .app root'];
    const out: string[] = [];
    const tag = (el: Element) => el.outerHTML.slice(0, 100);
    const ACTIVE = 'script, iframe, frame, frameset, object, embed, portal, base, meta, link, style, template, math, video, audio, source, marquee, isindex, xmp, noscript, applet, form[action], [srcdoc]';
    for (const el of root.querySelectorAll(ACTIVE)) out.push(`active element: ${tag(el)}`);
    for (const el of root.querySelectorAll('img')) if (!/^\/icons\//.test(el.getAttribute('src') ?? '')) out.push(`foreign img: ${tag(el)}`);
    const SHAPES = new Set(['circle', 'path', 'line', 'rect', 'polyline']);
    const SHAPE_ATTRS = /^(cx|cy|r|d|x|y|x1|y1|x2|y2|width|height|rx|ry|points|fill|stroke|stroke-width|stroke-linecap|stroke-linejoin)$/;
    const SVG_ATTRS = /^(class|viewBox|width|height|aria-hidden|fill|stroke|stroke-width|stroke-linecap|stroke-linejoin)$/;
    const ownIcon = (el: Element) =>
      el.getAttribute('aria-hidden') === 'true' &&
      [...el.attributes].every((a) => SVG_ATTRS.test(a.name)) &&
      el.querySelectorAll('*').length > 0 &&
      [...el.querySelectorAll('*')].every((c) => c.parentElement === el && SHAPES.has(c.localName) && [...c.attributes].every((a) => SHAPE_ATTRS.test(a.name)));
    for (const el of root.querySelectorAll('svg'))
      if (!(el.getAttribute('role') === 'img' && el.getAttribute('aria-label')) && !ownIcon(el)) out.push(`foreign svg: ${tag(el)}`);
    for (const el of root.querySelectorAll('*')) {
      for (const a of el.attributes) {
        if (/^on/i.test(a.name)) out.push(`handler attribute ${a.name}: ${tag(el)}`);
        // eslint-disable-next-line no-control-regex -- browsers drop these characters from a scheme
        if (/^(href|src|action|formaction|data|xlink:href|background|poster)$/i.test(a.name) && /^\s*(javascript|data|vbscript):/i.test(a.value.replace(/[\u0000-\u0020]/g, '')))
          out.push(`script address in ${a.name}: ${tag(el)}`);
      }
    }
    for (const a of root.querySelectorAll('a[href]')) {
      const href = a.getAttribute('href')!;
      if (!/^(https?:|\/|#)/i.test(href)) out.push(`link that is not http(s) or the app's own: ${tag(a)}`);
    }
    return out;
  });
}
