/**
 * The language the app speaks (issue 14 item 9). Paraglide resolves it on every message call
 * (scripts/paraglide.mjs): the choice made in Settings ("custom-setting" below), else the browser's
 * languages, else English. The choice sits in localStorage (`veil.language`, "en" or "es"; nothing for
 * "System default") because the first screen needs it before anything is unlocked; it names no identity,
 * and "Sign out and wipe" removes it (docs/storage.md).
 *
 * A change needs no reload (which would lock a session kept only in memory): the layout draws the app
 * inside {#key language.locale}, so every component is built again with the new words while the
 * session, drafts and the open socket stay as they are.
 */
import { defineCustomClientStrategy, getLocale, locales, type Locale } from '../paraglide/runtime';

export const LANGUAGE_KEY = 'veil.language';

/** "system": follow the browser. */
export type LanguageChoice = 'system' | Locale;

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage blocked by the browser: the browser's languages decide
  }
}

function stored(): Locale | undefined {
  const value = storage()?.getItem(LANGUAGE_KEY);
  return (locales as readonly string[]).includes(value ?? '') ? (value as Locale) : undefined;
}

defineCustomClientStrategy('custom-setting', {
  getLocale: () => stored(),
  // Paraglide calls this on its first resolution too; only chooseLanguage() writes the choice.
  setLocale: () => {}
});

export const language = $state<{ choice: LanguageChoice; locale: Locale }>({ choice: stored() ?? 'system', locale: getLocale() });

/** <html lang> follows the locale (screen readers, hyphenation, the browser's translate offer). */
function applyDocument(): void {
  if (typeof document !== 'undefined') document.documentElement.lang = language.locale;
}
applyDocument();

/** Applies a choice at once: the layout rebuilds the screen in the new language. */
export function chooseLanguage(choice: LanguageChoice): void {
  const s = storage();
  if (choice === 'system') s?.removeItem(LANGUAGE_KEY);
  else s?.setItem(LANGUAGE_KEY, choice);
  language.choice = choice;
  language.locale = getLocale();
  applyDocument();
}
