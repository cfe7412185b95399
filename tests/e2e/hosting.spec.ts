/**
 * Hosting (docs/deploy.md): another site cannot frame Veil. The page's <meta> CSP cannot say
 * frame-ancestors, so the server's headers must; a hostile page on another origin frames the app and
 * the frame must stay empty of it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from './fixtures';

let hostile: Server;
let hostileUrl = '';
let target = '';

test.beforeAll(async () => {
  hostile = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>hostile</title><iframe id="f" title="framed" src="${target}" onload="document.title='loaded'"></iframe>`);
  });
  await new Promise<void>((r) => hostile.listen(0, 'localhost', () => r()));
  hostileUrl = `http://localhost:${(hostile.address() as AddressInfo).port}/`;
});
test.afterAll(async () => new Promise<void>((r) => hostile.close(() => r())));

test('a cross-site page that frames Veil gets nothing of it', async ({ page, web }) => {
  // The app itself loads fine at the top level.
  await page.goto(web.url);
  await expect(page.getByRole('button', { name: 'Create a new identity' })).toBeVisible();
  target = web.url;
  const blocked: string[] = [];
  page.on('console', (m) => {
    if (/frame-ancestors|X-Frame-Options|refused to (display|frame)/i.test(m.text())) blocked.push(m.text());
  });
  await page.goto(hostileUrl);
  await expect(page).toHaveTitle('loaded');
  const frame = page.frames().find((f) => f !== page.mainFrame());
  expect(frame).toBeDefined();
  // Chromium replaces a refused frame with its error page; an allowed one would be the app's own URL.
  expect(frame!.url()).toMatch(/^chrome-error:/);
  expect(blocked.length).toBeGreaterThan(0);
});
