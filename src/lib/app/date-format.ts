/** Dates and times in the app's language (src/lib/app/language.svelte.ts), not the browser's. */
import { getLocale } from '../paraglide/runtime';

const formats = new Map<string, Intl.DateTimeFormat>();

/** A date/time format in the app's language, built once per locale and options. */
export function dateFormat(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const locale = getLocale();
  const key = `${locale}|${JSON.stringify(options)}`;
  let f = formats.get(key);
  if (!f) formats.set(key, (f = new Intl.DateTimeFormat(locale, options)));
  return f;
}
