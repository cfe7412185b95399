/**
 * Spanish (issue 14 item 9): chosen by the browser (Chromium with locale es-ES) and by Settings → Language
 * in an English browser. The main screens (onboarding, key backup, lock, chat list, a conversation,
 * settings) show none of the English words of messages/en.json; a change of language applies at once,
 * keeps the session open and <html lang> follows. tests/unit/i18n.test.ts checks the keys themselves.
 */
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { createIdentity, expect, PASSPHRASE, test } from './fixtures';

type Message = string | { match: Record<string, string> }[];
const load = (locale: string) => JSON.parse(readFileSync(new URL(`../../messages/${locale}.json`, import.meta.url), 'utf8')) as Record<string, Message>;
const en = load('en');
const es = load('es');
const texts = (m: Message): string[] => (typeof m === 'string' ? [m] : m.flatMap((v) => Object.values(v.match)));

/**
 * The English that must not show in Spanish: each English text that differs from its Spanish one, cut at its
 * placeholders, every piece of more than 3 characters with a word in it, matched as whole words, unless a
 * Spanish text has that piece too.
 */
const SPANISH = Object.keys(es).filter((k) => k !== '$schema').flatMap((k) => texts(es[k]!));
const ENGLISH = [
  ...new Set(
    Object.keys(en)
      .filter((k) => k !== '$schema' && JSON.stringify(en[k]) !== JSON.stringify(es[k]))
      .flatMap((k) => texts(en[k]!))
      .flatMap((t) => t.split(/\{\w+\}/))
      .map((piece) => piece.trim())
      .filter((piece) => piece.length > 3 && /[A-Za-z]{3}/.test(piece))
  )
  // A word Spanish uses too ("bytes" in "mensaje máximo de {bytes} bytes") is no sign of English.
].filter((piece) => !SPANISH.some((t) => new RegExp(`(?<![A-Za-z])${piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z])`).test(t)));
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const PATTERNS = ENGLISH.map((piece) => ({ piece, re: new RegExp(`(?<![A-Za-z])${escape(piece)}(?![A-Za-z])`) }));

/**
 * The visible text of the page, its title, and the names and hints of its elements. Not SvelteKit's route
 * announcer: it keeps the title it read out at the last navigation (English, before the switch).
 */
async function shownWords(page: Page): Promise<string> {
  return page.evaluate(() => {
    const announcer = document.getElementById('svelte-announcer')?.innerText ?? '';
    const attrs = [...document.querySelectorAll('[aria-label], [placeholder], [title]')].flatMap((el) =>
      ['aria-label', 'placeholder', 'title'].map((a) => el.getAttribute(a) ?? '')
    );
    return [document.body.innerText.replace(announcer, ''), document.title, ...attrs].join('\n');
  });
}

/** Polled: the <title> follows a change of language a moment after the page does. */
async function expectNoEnglish(page: Page, screen: string): Promise<void> {
  const english = async () => {
    const words = await shownWords(page);
    return PATTERNS.filter(({ re }) => re.test(words)).map(({ piece }) => piece);
  };
  await expect.poll(english, { message: `English on the ${screen} screen` }).toEqual([]);
  await expect(page.locator('html')).toHaveAttribute('lang', 'es');
}

test('every screen is in Spanish when the browser asks for it, and Settings switches language without locking', async ({ browser, web }) => {
  expect(PATTERNS.length).toBeGreaterThan(400);
  // Bob (English) only gives Alice someone to write to.
  const bobCtx = await browser.newContext();
  const bob = await bobCtx.newPage();
  const { npub: bobNpub } = await createIdentity(bob, web.url);

  const ctx = await browser.newContext({ locale: 'es-ES' });
  const page = await ctx.newPage();
  await page.goto(web.url);
  await expect(page.getByRole('button', { name: 'Crear una identidad nueva' })).toBeVisible();
  await expectNoEnglish(page, 'onboarding');

  await page.getByRole('button', { name: 'Crear una identidad nueva' }).click();
  await expect(page.getByRole('heading', { name: 'Identidad nueva' })).toBeVisible();
  await expectNoEnglish(page, 'new identity');
  await page.getByLabel('Frase de contraseña', { exact: true }).fill('corta');
  await page.getByLabel('Escríbela de nuevo').fill('corta');
  await page.getByRole('button', { name: 'Crear', exact: true }).click();
  await expect(page.getByRole('alert')).toHaveText('Elige una frase de contraseña de al menos 8 caracteres.');
  await page.getByLabel('Frase de contraseña', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Escríbela de nuevo').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Crear', exact: true }).click();

  await expect(page.getByRole('heading', { name: 'Guarda tu clave' })).toBeVisible();
  await expectNoEnglish(page, 'key backup');
  await page.getByLabel('Guardé mi clave en un lugar seguro').check();
  await page.getByRole('button', { name: 'Continuar' }).click();

  await expect(page.getByRole('navigation', { name: 'Chats' })).toBeVisible();
  await expect(page.getByText('Aún no tienes chats.', { exact: false })).toBeVisible();
  await expectNoEnglish(page, 'chat list');

  await page.getByRole('button', { name: 'Nuevo chat' }).click();
  await page.getByRole('textbox', { name: 'Contacto' }).fill(bobNpub);
  await expect(page.getByRole('group', { name: 'Quién es' })).toBeVisible();
  await expectNoEnglish(page, 'new chat');
  await page.getByRole('button', { name: 'Empezar chat' }).click();
  const log = page.getByRole('log', { name: 'Mensajes' });
  await expect(log).toBeVisible();
  await page.getByRole('textbox', { name: 'Mensaje' }).fill('Hola Bob, soy Alicia');
  await page.getByRole('button', { name: 'Enviar' }).click();
  await expect(log.getByText('Enviado a 1 de 1 relés')).toBeVisible({ timeout: 20_000 });
  await expect(log.getByText('Hoy')).toBeVisible();
  await page.getByText('Los sobres guardados no los nombran a ninguno de los dos').click();
  await expectNoEnglish(page, 'conversation');

  await page.getByRole('link', { name: 'Ajustes' }).click();
  await expect(page.getByRole('heading', { name: 'Ajustes', level: 1 })).toBeVisible();
  await expect(page).toHaveTitle('Veil: Ajustes');
  await expectNoEnglish(page, 'settings');

  // English from the setting, at once: the same session (no lock screen), focus back on the select.
  const select = page.getByLabel('Idioma de la app');
  await expect(select).toHaveValue('system');
  await select.selectOption('en');
  await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByLabel('Language of the app')).toBeFocused();
  await expect(page.getByLabel('Language of the app')).toHaveValue('en');
  // Back to the browser's language.
  await page.getByLabel('Language of the app').selectOption('system');
  await expect(page.getByRole('heading', { name: 'Ajustes', level: 1 })).toBeVisible();
  await expectNoEnglish(page, 'settings after System default');
  await page.getByRole('link', { name: 'Volver a los chats' }).click();
  await expect(page.getByRole('navigation', { name: 'Chats' }).getByText('Hola Bob, soy Alicia')).toBeVisible();

  await ctx.close();
  await bobCtx.close();
});

test('Settings → Language turns an English browser to Spanish, also on the lock screen after a reload', async ({ page, web }) => {
  await createIdentity(page, web.url);
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByLabel('Language of the app').selectOption('es');
  await expect(page.getByRole('heading', { name: 'Ajustes', level: 1 })).toBeVisible();
  await expect(page.getByLabel('Idioma de la app')).toHaveValue('es');
  await expectNoEnglish(page, 'settings');

  await page.reload();
  await expect(page.getByRole('heading', { name: 'Veil está bloqueado' })).toBeVisible();
  await expectNoEnglish(page, 'lock');
  await page.getByLabel('Frase de contraseña', { exact: true }).fill('no es la frase');
  await page.getByRole('button', { name: 'Desbloquear' }).click();
  await expect(page.getByRole('alert')).toHaveText('Esa frase de contraseña no es correcta. Inténtalo de nuevo: no cambia nada hasta que aciertes.');
  await page.getByLabel('Frase de contraseña', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Desbloquear' }).click();
  await expect(page.getByRole('heading', { name: 'Ajustes', level: 1 })).toBeVisible();
  await expectNoEnglish(page, 'settings after unlock');
  // A sentence the sync layer writes (sync/relays.ts), in Spanish too.
  await page.getByLabel('Dirección del relé', { exact: true }).fill('relay.example.com');
  await page.getByRole('button', { name: 'Añadir relé', exact: true }).click();
  await expect(page.getByRole('alert')).toHaveText('Eso no es una dirección de relé ws:// o wss://.');
  await expectNoEnglish(page, 'settings with an error');
});
