/**
 * Settings → Traffic privacy: a person switches to Private mode, stops publishing the inbox record and
 * lowers the cover rate (each rate with its daily upload bound); the choices survive a reload (stored in the vault), the section works at 390×844, 1280×800 and 320×640
 * without sideways scroll, and axe-core finds no serious or critical violation on the screen, light and dark.
 */
import type { Page } from '@playwright/test';
import { createIdentity, expect, seriousAxe, test, unlock } from './fixtures';

const SIZES = [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
  { width: 320, height: 640 }
] as const;

function section(page: Page) {
  return page.getByRole('region', { name: 'Traffic privacy' });
}

async function openSettings(page: Page) {
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
}

/** axe (serious/critical) in both themes, and no sideways scroll, at the current size. */
async function audit(page: Page, where: string) {
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme });
    expect(await seriousAxe(page), `axe on settings, ${where}, ${theme}`).toEqual([]);
  }
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth
  }));
  expect(scrollWidth, `sideways scroll on settings, ${where}`).toBeLessThanOrEqual(clientWidth);
  // The section and every box in it within the width (the page scrolls inside <main>, not the document).
  const vp = page.viewportSize()!;
  const boxes = await section(page).locator(':scope, fieldset, label, p, input').evaluateAll((els) =>
    els.map((el) => {
      const r = el.getBoundingClientRect();
      return { left: r.left, right: r.right, scrolls: el.scrollWidth > el.clientWidth + 1 };
    })
  );
  expect(boxes.length).toBeGreaterThan(8);
  expect(boxes.filter((b) => b.left < 0 || b.right > vp.width || b.scrolls), `outside ${vp.width}px: ${where}`).toEqual([]);
}

for (const size of SIZES) {
  test(`Private mode and no inbox record are chosen, kept across a reload, at ${size.width}×${size.height}`, async ({ browser, web }) => {
    test.setTimeout(120_000);
    const page = await (await browser.newContext({ viewport: size })).newPage();
    await createIdentity(page, web.url);
    await openSettings(page);

    const privacy = section(page);
    const modes = privacy.getByRole('group', { name: 'Delivery' });
    const live = modes.getByRole('radio', { name: 'Live' });
    const priv = modes.getByRole('radio', { name: 'Private' });
    const record = privacy.getByRole('checkbox', { name: 'Publish my inbox record' });
    const cover = privacy.getByRole('group', { name: 'Cover traffic' });
    const rate = (name: string) => cover.getByRole('radio', { name, exact: true });

    // The defaults, each with its plain words (the latency cost, what turning the record off costs).
    await expect(live).toBeChecked();
    await expect(priv).not.toBeChecked();
    await expect(priv).toHaveAccessibleDescription(/several minutes, up to a quarter of an hour/);
    await expect(record).toBeChecked();
    await expect(record).toHaveAccessibleDescription(/only with your contact card/);
    // Cover: Default at first, each rate with its daily bound, and what it buys in Live mode.
    await expect(rate('Default')).toBeChecked();
    await expect(cover).toHaveAccessibleDescription(/Off: a relay can tell when you really send\. This applies to Live mode/);
    await expect(rate('Off')).toHaveAccessibleDescription('No cover uploads.');
    await expect(rate('Low')).toHaveAccessibleDescription('Cover uploads: up to 87 KB a day.');
    await expect(rate('Default')).toHaveAccessibleDescription('Cover uploads: up to 236 KB a day.');
    await expect(rate('High')).toHaveAccessibleDescription('Cover uploads: up to 1.09 MB a day.');
    await expect(privacy.getByText('What they can still see')).toContainText('your IP address and when you are online, unless you use a VPN or Tor');
    await priv.scrollIntoViewIfNeeded();
    await audit(page, `${size.width}×${size.height}, live`);

    await priv.check();
    await expect(privacy.getByRole('status')).toHaveText('Private mode is on.');
    await expect(priv).toBeChecked();
    await expect(live).not.toBeChecked();
    await record.uncheck();
    await expect(privacy.getByRole('status')).toHaveText('Your inbox record is no longer published.');
    await expect(record).not.toBeChecked();
    await rate('Low').check();
    await expect(privacy.getByRole('status')).toHaveText('Cover traffic: low.');
    await expect(rate('Low')).toBeChecked();
    await expect(rate('Default')).not.toBeChecked();
    await audit(page, `${size.width}×${size.height}, private`);

    // Stored in the vault: after a reload and unlocking, both choices are still there.
    await page.reload();
    await unlock(page);
    await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible(); // the same route after unlocking
    await expect(priv).toBeChecked();
    await expect(live).not.toBeChecked();
    await expect(record).not.toBeChecked();
    await expect(rate('Low')).toBeChecked();

    // And back: Live mode, the record and the default cover again, also kept.
    await live.check();
    await expect(privacy.getByRole('status')).toHaveText('Live mode is on.');
    await record.check();
    await expect(privacy.getByRole('status')).toHaveText('Your inbox record will be published.');
    await rate('Off').check();
    await expect(privacy.getByRole('status')).toHaveText('Cover traffic is off.');
    await page.reload();
    await unlock(page);
    await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible(); // the same route after unlocking
    await expect(live).toBeChecked();
    await expect(record).toBeChecked();
    await expect(rate('Off')).toBeChecked();
  });
}

test('a choice made in the tab without sockets reaches the tab that runs the traffic', async ({ browser, web }) => {
  const ctx = await browser.newContext();
  const owner = await ctx.newPage();
  await createIdentity(owner, web.url);
  await openSettings(owner);
  const other = await ctx.newPage();
  await other.goto(web.url);
  await unlock(other);
  await openSettings(other);
  await expect(other.getByText('Another Veil tab holds the connections')).toBeVisible();

  await section(other).getByRole('radio', { name: 'Private' }).check();
  await expect(section(other).getByRole('status')).toHaveText('Private mode is on.');
  await section(other).getByRole('checkbox', { name: 'Publish my inbox record' }).uncheck();
  await expect(section(other).getByRole('status')).toHaveText('Your inbox record is no longer published.');
  await section(other).getByRole('radio', { name: 'High', exact: true }).check();
  await expect(section(other).getByRole('status')).toHaveText('Cover traffic: high.');
  // The owner tab applied all three (its messenger runs the traffic), and shows them without a reload.
  await expect(section(owner).getByRole('radio', { name: 'Private' })).toBeChecked();
  await expect(section(owner).getByRole('checkbox', { name: 'Publish my inbox record' })).not.toBeChecked();
  await expect(section(owner).getByRole('radio', { name: 'High', exact: true })).toBeChecked();
});
