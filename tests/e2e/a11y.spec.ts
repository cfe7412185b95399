/**
 * Accessibility and layout on every screen a person meets, at 1280×800, 390×844 and 320×640, light and dark:
 * axe-core finds no serious or critical violation, no screen scrolls sideways, the composer and Send
 * are on screen and a new chat's composer sits at the bottom. A chat opened with unread messages
 * shows the divider and the first unread in view.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { createIdentity, expect, messages, openChat, send, test } from './fixtures';

const SIZES = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
  { width: 320, height: 640 }
] as const;
const THEMES = ['light', 'dark'] as const;

interface Finding {
  screen: string;
  size: string;
  theme: string;
  serious: string[];
  scrollWidth: number;
  clientWidth: number;
}
const findings: Finding[] = [];

/**
 * Sideways overflow as the person would meet it: of the document, and of every box that scrolls or
 * clips inside it (main, the message log…), reported as the widest content over the viewport width.
 * Text fields scroll their own text, and one-line text cut with an ellipsis is shortened on purpose
 * (a long name in the chat list); both are left out.
 */
function widths(page: Page) {
  return page.evaluate(() => {
    const clientWidth = document.documentElement.clientWidth;
    let over = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - clientWidth;
    for (const el of document.querySelectorAll<HTMLElement>('body *')) {
      if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el.clientWidth <= 1) continue;
      const style = getComputedStyle(el);
      if (!['auto', 'scroll', 'hidden'].includes(style.overflowX)) continue;
      if (style.overflowX === 'hidden' && style.textOverflow === 'ellipsis') continue;
      over = Math.max(over, el.scrollWidth - el.clientWidth);
    }
    return { scrollWidth: clientWidth + Math.max(0, over), clientWidth };
  });
}

/** The composer and Send are inside the viewport; with `atBottom`, the composer ends at its bottom. */
async function composerInView(page: Page, screen: string, atBottom: boolean) {
  const vp = page.viewportSize()!;
  for (const el of [page.getByRole('textbox', { name: 'Message' }), page.getByRole('button', { name: 'Send' })]) {
    const box = (await el.boundingBox())!;
    const where = `${screen} at ${vp.width}×${vp.height}: ${JSON.stringify(box)}`;
    expect.soft(box.x >= 0 && box.x + box.width <= vp.width && box.y >= 0 && box.y + box.height <= vp.height, `outside the viewport: ${where}`).toBe(true);
  }
  if (atBottom) {
    // The controls themselves, not only the form's box (a stretched grid row once put the form's
    // edge at the bottom with the message box floating at its top).
    const sendBox = (await page.getByRole('button', { name: 'Send' }).boundingBox())!;
    const form = (await page.locator('form.composer').boundingBox())!;
    const gap = vp.height - (sendBox.y + sendBox.height);
    expect.soft(gap >= 0 && gap <= 24, `Send not at the bottom: ${screen} at ${vp.width}×${vp.height}, ${gap}px above it`).toBe(true);
    expect.soft(Math.abs(form.y + form.height - vp.height), `composer not at the bottom: ${screen} at ${vp.width}×${vp.height}`).toBeLessThanOrEqual(2);
  }
}

/** Runs axe and the layout checks on the screen shown, at both sizes and in both themes. */
async function audit(page: Page, screen: string, opts: { composer?: 'any' | 'bottom' } = {}) {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    for (const theme of THEMES) {
      await page.emulateMedia({ colorScheme: theme });
      const result = await new AxeBuilder({ page }).analyze();
      const serious = result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.nodes.length}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
      const w = await widths(page);
      findings.push({ screen, size: `${size.width}x${size.height}`, theme, serious, ...w });
      expect.soft(serious, `axe serious/critical on "${screen}" at ${size.width}×${size.height}, ${theme}`).toEqual([]);
      expect.soft(w.scrollWidth, `sideways scroll on "${screen}" at ${size.width}×${size.height}`).toBeLessThanOrEqual(w.clientWidth);
    }
    if (opts.composer) await composerInView(page, screen, opts.composer === 'bottom');
  }
  await page.setViewportSize(SIZES[0]);
}

test.afterAll(() => {
  // One line per screen, size and theme: the figures behind the assertions.
  for (const f of findings) {
    console.log(`${f.screen} | ${f.size} | ${f.theme} | serious ${f.serious.length} | scrollWidth ${f.scrollWidth}/${f.clientWidth}${f.serious.length ? ' | ' + f.serious.join('; ') : ''}`);
  }
});

test('every screen passes axe and fits the phone and the desktop, light and dark', async ({ browser, web }) => {
  test.setTimeout(300_000);
  const bob = await (await browser.newContext({ viewport: SIZES[0] })).newPage();
  const alice = await (await browser.newContext({ viewport: SIZES[0] })).newPage();

  await bob.goto(web.url);
  await expect(bob.getByRole('button', { name: 'Create a new identity' })).toBeVisible();
  await audit(bob, 'onboarding');
  await bob.getByRole('button', { name: 'Create a new identity' }).click();
  await audit(bob, 'create');
  await bob.getByLabel('Passphrase', { exact: true }).fill('correct horse battery staple');
  await bob.getByLabel('Type it again').fill('correct horse battery staple');
  await bob.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(bob.getByRole('heading', { name: 'Save your key' })).toBeVisible();
  await audit(bob, 'backup');
  await bob.getByLabel('I have saved my key somewhere safe').check();
  await bob.getByRole('button', { name: 'Continue' }).click();
  const bobNpub = await bob.getByRole('textbox', { name: 'Your npub' }).inputValue();
  await expect(bob.getByText('No chats yet')).toBeVisible();
  await audit(bob, 'chat list, empty');
  await bob.getByRole('button', { name: 'Show QR code' }).click();
  await expect(bob.getByRole('img', { name: 'QR code of your contact card' })).toBeVisible();
  await audit(bob, 'contact card');
  await bob.getByRole('button', { name: 'Hide QR code' }).click();
  await bob.getByRole('button', { name: 'New chat' }).click();
  await audit(bob, 'new chat');

  const { npub: aliceNpub } = await createIdentity(alice, web.url);
  // The New chat form is open: Bob starts the chat from it.
  await bob.getByRole('textbox', { name: 'Contact' }).fill(aliceNpub);
  await bob.getByRole('button', { name: 'Start chat' }).click();
  await expect(messages(bob)).toBeVisible();
  await audit(bob, 'conversation, new', { composer: 'bottom' });

  await send(bob, 'Hello Alice, see https://example.org/page?x=1 for the plan');
  await send(bob, 'A second line from Bob');
  await expect(messages(bob).getByText('Sent to 1 of 1 relays').first()).toBeVisible({ timeout: 20_000 });
  await audit(bob, 'conversation with messages', { composer: 'bottom' });
  // The offline banner takes its line; nothing is pushed off-screen.
  await bob.context().setOffline(true);
  await expect(bob.getByText('You are offline')).toBeVisible();
  await audit(bob, 'conversation, offline', { composer: 'bottom' });
  await bob.context().setOffline(false);

  // Alice: a request from a stranger, then the chat.
  const requests = alice.getByRole('region', { name: 'Requests' });
  await expect(requests.getByText('A second line from Bob')).toBeVisible({ timeout: 20_000 });
  await audit(alice, 'requests');
  await requests.getByRole('button', { name: /A second line from Bob/ }).click();
  await expect(messages(alice).getByText('A second line from Bob')).toBeVisible();
  await audit(alice, 'request conversation', { composer: 'any' });
  await alice.getByRole('button', { name: 'Accept' }).first().click();
  await openChat(alice, bobNpub);
  await send(alice, 'Hi Bob!');
  await alice.getByRole('link', { name: 'Settings' }).click();
  await expect(alice.getByRole('heading', { name: 'Settings' })).toBeVisible();
  await audit(alice, 'settings');
  await alice.getByRole('button', { name: 'Lock now' }).click();
  await expect(alice.getByRole('heading', { name: 'Veil is locked' })).toBeVisible();
  await audit(alice, 'lock');

  expect(findings.filter((f) => f.serious.length > 0 || f.scrollWidth > f.clientWidth)).toEqual([]);
});
