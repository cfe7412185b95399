// Veil is a client-only app: keys never leave the browser, so nothing renders on a server.
export const ssr = false;
export const prerender = false;
