/**
 * HTML mail is hostile input. This module turns a message's HTML part into a fragment that is safe to
 * show, and describes the document and the headers it is shown under:
 *
 * 1. `sanitizeMailHtml` re-serialises the HTML through sanitize-html with a strict allow-list suited to
 *    e-mail (tables, text formatting, lists, images, links). Every attribute value is escaped and every
 *    `<style>` block and `style` attribute is rebuilt by the small CSS filter below, so the output
 *    cannot carry a script, an event handler, a form, a frame, a `<base>` or a `<meta>`. Remote images
 *    and CSS backgrounds are removed unless the reader asked for them (`allowRemote`); `cid:` images
 *    are replaced with the message's own inline parts as `data:` URLs.
 * 2. `frameDocument` wraps the fragment in the document served inside the reading iframe.
 * 3. `frameContentSecurityPolicy` and `FRAME_SANDBOX` are the second and third walls: the frame runs no
 *    script (its origin is kept only so that the page can size it), and may fetch nothing but `data:` images (plus http(s) images once
 *    the reader clicked "Afficher les images distantes").
 *
 * Links: a link whose visible text shows another web address or domain than where it goes gets a
 * visible marker after it (« [lien trompeur : mène à …] », deceptive-links.ts decides); for a message
 * whose sender warrants care, every http(s) link goes through the webmail's « Vous allez quitter la
 * messagerie » page (`guardLink`) and replaces the whole page (`target="_top"`).
 *
 * The sanitizer holds on its own; CSP and sandbox are there for the day it does not. The e2e test
 * serves the attack corpus sanitized without CSP or sandbox, and sanitized with both, and checks in
 * Chromium that nothing runs and nothing is fetched.
 */
import sanitizeHtml from "sanitize-html";
import { DECEPTIVE_LINK_TITLE, deceptiveLinkMarker } from "../i18n/links.fr.js";
import { deceptiveDestination, domainForReader } from "./deceptive-links.js";

/** The largest HTML part parsed, in UTF-16 code units; the rest is cut off (and a notice added). */
export const MAX_MAIL_HTML_LENGTH = 2 * 1024 * 1024;

/** Elements deeper than this are dropped (their text is kept), which bounds the renderer's work too. */
const NESTING_LIMIT = 100;

/**
 * The deepest element nesting parsed at all. htmlparser2 keeps its open elements in an array it
 * shifts and unshifts, so parsing costs (number of tags × depth): 400 000 nested `<div>` would take
 * minutes. Past this depth (Chromium's own parser stops nesting at 512) the message is shown as text.
 */
const MAX_PARSE_DEPTH = 512;

/**
 * The iframe's `sandbox` attribute: no scripts, no forms, links may open a normal new tab. The
 * frame keeps the webmail's origin so that the page's own script can read its height and show the
 * whole message without an inner scroll bar; that is safe only because `allow-scripts` is never
 * given (with both, a frame could lift its own sandbox) and the frame's CSP runs no script either.
 */
export const FRAME_SANDBOX = "allow-same-origin allow-popups allow-popups-to-escape-sandbox";

/**
 * The same for a message whose links go through the interstitial page (`guardLink`): a click, never
 * the document by itself, may also replace the webmail's page (those links' `target="_top"`).
 */
export const GUARDED_FRAME_SANDBOX = `${FRAME_SANDBOX} allow-top-navigation-by-user-activation`;

export interface SanitizeMailOptions {
  /** True once the reader clicked "Afficher les images distantes" for this message. */
  readonly allowRemote: boolean;
  /** Content-ID (lowercase, without `<>`) → `data:` URL of that inline image part. */
  readonly inlineImages?: ReadonlyMap<string, string>;
  /**
   * For a message whose sender warrants care: the URL each http(s) link goes to instead (the
   * webmail's interstitial page, given the link's own URL), in the whole tab.
   */
  readonly guardLink?: (href: string) => string;
  /** Called with each http(s) link the reader may follow (its URL as the sanitizer keeps it), in order. */
  readonly onLink?: (href: string) => void;
}

export interface SanitizedMail {
  readonly html: string;
  /** True when remote images or backgrounds were removed: show the "Afficher les images distantes" button. */
  readonly blockedRemoteContent: boolean;
  /** Set when the links go through the interstitial page (`guardLink`): the frame is `GUARDED_FRAME_SANDBOX`. */
  readonly guardedLinks?: true;
}

const TOO_DEEP_NOTICE =
  '<p style="border-bottom:1px solid #929292;padding-bottom:8px;color:#3a3a3a">' +
  "[Ce message est trop complexe pour être mis en forme : seul son texte est affiché.]</p>";

const TRUNCATION_NOTICE =
  '<p style="border-top:1px solid #929292;padding-top:8px;color:#3a3a3a">' +
  "[Message tronqué : sa partie HTML est trop volumineuse pour être affichée en entier.]</p>";

// ---------------------------------------------------------------------------------------------------
// Allow-lists
// ---------------------------------------------------------------------------------------------------

const ALLOWED_TAGS = [
  "a",
  "abbr",
  "acronym",
  "address",
  "article",
  "aside",
  "b",
  "bdi",
  "bdo",
  "big",
  "blockquote",
  "br",
  "caption",
  "center",
  "cite",
  "code",
  "col",
  "colgroup",
  "dd",
  "del",
  "dfn",
  "div",
  "dl",
  "dt",
  "em",
  "figcaption",
  "figure",
  "font",
  "footer",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "header",
  "hgroup",
  "hr",
  "i",
  "img",
  "ins",
  "kbd",
  "li",
  "mark",
  "ol",
  "p",
  "pre",
  "q",
  "rp",
  "rt",
  "ruby",
  "s",
  "samp",
  "section",
  "small",
  "span",
  "strike",
  "strong",
  "sub",
  "sup",
  "table",
  "tbody",
  "td",
  "tfoot",
  "th",
  "thead",
  "time",
  "tr",
  "tt",
  "u",
  "ul",
  "var",
  "wbr",
];
const ALLOWED_TAG_SET: ReadonlySet<string> = new Set(ALLOWED_TAGS);

/** Attributes every allowed element may keep (values are escaped; `style` is rebuilt). */
const GLOBAL_ATTRIBUTES = ["style", "class", "dir", "lang", "title", "align", "valign", "width", "height", "bgcolor"];

const TAG_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  a: ["href", "target", "rel"],
  img: ["src", "alt", "border", "hspace", "vspace"],
  table: ["border", "cellpadding", "cellspacing", "background", "summary", "rules", "frame"],
  td: ["colspan", "rowspan", "nowrap", "background", "scope", "abbr", "headers"],
  th: ["colspan", "rowspan", "nowrap", "background", "scope", "abbr", "headers"],
  col: ["span"],
  colgroup: ["span"],
  font: ["color", "face", "size"],
  ol: ["start", "type", "reversed"],
  ul: ["type"],
  li: ["value", "type"],
  hr: ["size", "noshade", "color"],
  time: ["datetime"],
};

function attributesOf(tag: string): readonly string[] {
  return [...GLOBAL_ATTRIBUTES, ...(TAG_ATTRIBUTES[tag] ?? [])];
}

/**
 * The number the sanitizer gives each link while it runs (never taken from the message, whose own
 * attributes go through `attributesOf`), so that the marker of a deceptive link goes after its end.
 */
const LINK_NUMBER = "data-sesame-link";

const ALLOWED_ATTRIBUTES: Record<string, string[]> = Object.fromEntries(
  ALLOWED_TAGS.map((tag) => [tag, tag === "a" ? [...attributesOf(tag), LINK_NUMBER] : [...attributesOf(tag)]]),
);

/** Attributes holding a URL that is fetched when the element renders. */
const IMAGE_URL_ATTRIBUTES: ReadonlySet<string> = new Set(["src", "background"]);

/**
 * Disallowed elements whose whole content is dropped, not just the tags: raw text (script, xmp,
 * textarea, title), options of a dropped select, and fallback or inert content (frames, objects,
 * templates) that a mail client would not show either. `style` is absent on purpose: its text is
 * collected by `textFilter` and rebuilt by the CSS filter.
 */
const DROPPED_CONTENT_TAGS = [
  "script",
  "textarea",
  "option",
  "xmp",
  "title",
  "template",
  "iframe",
  "frameset",
  "noembed",
  "noframes",
  "object",
  "applet",
];

// CSS properties kept in `style` attributes and `<style>` blocks; their values are filtered too.
const SIDES = ["top", "right", "bottom", "left"];
const CSS_PROPERTIES: ReadonlySet<string> = new Set([
  "background",
  "background-color",
  "background-image",
  "background-position",
  "background-repeat",
  "background-size",
  "border",
  "border-collapse",
  "border-color",
  "border-radius",
  "border-spacing",
  "border-style",
  "border-width",
  ...SIDES.flatMap((side) => [
    `border-${side}`,
    `border-${side}-color`,
    `border-${side}-style`,
    `border-${side}-width`,
    `margin-${side}`,
    `padding-${side}`,
    side,
  ]),
  "border-top-left-radius",
  "border-top-right-radius",
  "border-bottom-left-radius",
  "border-bottom-right-radius",
  "box-sizing",
  "caption-side",
  "clear",
  "color",
  "direction",
  "display",
  "empty-cells",
  "float",
  "font",
  "font-family",
  "font-size",
  "font-style",
  "font-variant",
  "font-weight",
  "height",
  "letter-spacing",
  "line-height",
  "list-style",
  "list-style-position",
  "list-style-type",
  "margin",
  "max-height",
  "max-width",
  "min-height",
  "min-width",
  "opacity",
  "overflow",
  "overflow-wrap",
  "overflow-x",
  "overflow-y",
  "padding",
  "position",
  "table-layout",
  "text-align",
  "text-decoration",
  "text-decoration-color",
  "text-decoration-line",
  "text-decoration-style",
  "text-indent",
  "text-overflow",
  "text-transform",
  "vertical-align",
  "visibility",
  "white-space",
  "width",
  "word-break",
  "word-spacing",
  "word-wrap",
]);

/** Properties whose value may hold a `url()` (images only, resolved like `<img src>`). */
const CSS_URL_PROPERTIES: ReadonlySet<string> = new Set(["background", "background-image"]);

/** `position` may not take the content out of the flow (no fixed/absolute/sticky overlays). */
const CSS_POSITIONS: ReadonlySet<string> = new Set(["static", "relative"]);

/** CSS functions kept in values: colours, arithmetic and gradients (none of them fetches anything). */
const CSS_FUNCTIONS: ReadonlySet<string> = new Set([
  "rgb",
  "rgba",
  "hsl",
  "hsla",
  "calc",
  "min",
  "max",
  "clamp",
  "linear-gradient",
  "radial-gradient",
  "repeating-linear-gradient",
  "repeating-radial-gradient",
]);

/** Characters allowed in a CSS value outside strings and functions. */
const CSS_VALUE_CHAR = /^[\p{L}\p{N}\s#%.,+\-/*_]$/u;
/** What a quoted string in a value may hold (font names, in practice): no escapes, markup or delimiters. */
const CSS_STRING_CONTENT = /^[\p{L}\p{N} _\-.,!#%+/]*$/u;
/** A selector: no braces, `<`, `@`, `\`, `;` or `&`; quoted parts must be closed on the same line. */
const CSS_SELECTOR = /^(?:[\p{L}\p{N}_\-.#:,\s>+~*()[\]=^$|]|"[^"\n\\<]*"|'[^'\n\\<]*')+$/u;
/** A media query list, e.g. `screen and (max-width: 600px)`. */
const CSS_MEDIA_QUERY = /^[a-zA-Z0-9\s(),:.-]+$/;
const CSS_SELECTOR_MAX = 1000;

/** Longer links are dropped (their text stays): real ones, even tracking links, are far shorter. */
const MAX_LINK_LENGTH = 16 * 1024;

/** Inline images the frame may show as `data:` URLs (no SVG: it is a document, not a picture). */
const DATA_IMAGE = /^data:image\/(?:png|jpeg|jpg|gif|webp)(?:;[a-z0-9-]+=[a-z0-9-]+)*;base64,[a-z0-9+/]+={0,2}$/i;

// ---------------------------------------------------------------------------------------------------
// URLs
// ---------------------------------------------------------------------------------------------------

/** Whether one sanitize run met remote content, and how to resolve `cid:` and remote URLs. */
interface RunContext {
  readonly allowRemote: boolean;
  readonly inlineImages: ReadonlyMap<string, string> | undefined;
  blockedRemote: boolean;
  readonly css: string[];
  /** Elements open in the parser right now. */
  depth: number;
  readonly guardLink: ((href: string) => string) | undefined;
  readonly onLink: ((href: string) => void) | undefined;
  /** Each numbered link's own URL ("" when it has none the reader may follow). */
  readonly links: string[];
  /** The numbered links whose text shows another domain → where they really go (ASCII domain). */
  readonly deceptive: Map<number, string>;
}

/** Thrown from the parser's callbacks to stop parsing a pathologically deep document. */
class TooDeepError extends Error {}

/** Drops what URL parsers ignore (ASCII whitespace, controls at the ends, tabs and newlines inside). */
function tidyUrl(raw: string): string {
  // A loop rather than /[\x00-\x20]+$/, which backtracks quadratically on long inner runs of blanks.
  let start = 0;
  let end = raw.length;
  while (start < end && raw.charCodeAt(start) <= 0x20) start++;
  while (end > start && raw.charCodeAt(end - 1) <= 0x20) end--;
  return raw.slice(start, end).replace(/[\t\n\r]/g, "");
}

/** A `data:` image in canonical form, or undefined when it is not one of the allowed image types. */
function dataImage(raw: string): string | undefined {
  const compact = raw.replace(/\s+/g, "");
  return DATA_IMAGE.test(compact) ? compact : undefined;
}

/** The inline part a `cid:` URL names, as a `data:` URL. */
function inlineImage(raw: string, ctx: RunContext): string | undefined {
  let id = raw.slice(4);
  try {
    id = decodeURIComponent(id);
  } catch {
    // RFC 2392 says the id is URL-encoded; a broken escape is looked up as written.
  }
  id = id.trim().replace(/^<|>$/g, "").toLowerCase();
  const found = ctx.inlineImages?.get(id);
  return found === undefined ? undefined : dataImage(found);
}

/**
 * Resolves an image URL (`<img src>`, `background`, CSS `url()`): a `data:` image or a `cid:` part
 * always; http(s) only when remote content is allowed (else it is counted as blocked); anything else
 * (javascript:, relative, other schemes, SVG data) never.
 */
function imageUrl(raw: string, ctx: RunContext): string | undefined {
  const url = tidyUrl(raw);
  const lower = url.toLowerCase();
  if (lower.startsWith("data:")) return dataImage(url);
  if (lower.startsWith("cid:")) return inlineImage(url, ctx);
  let parsed: URL;
  try {
    parsed = new URL(url.startsWith("//") ? `https:${url}` : url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return undefined;
  if (!ctx.allowRemote) {
    ctx.blockedRemote = true;
    return undefined;
  }
  // Kept out so the URL can sit in a CSS string and an attribute without any escaping question.
  return /["'\\<>\s]/.test(parsed.href) ? undefined : parsed.href;
}

/** A link target the reader may follow: absolute http, https or mailto, nothing else. */
function linkUrl(raw: string): string | undefined {
  if (raw.length > MAX_LINK_LENGTH) return undefined;
  try {
    const parsed = new URL(tidyUrl(raw));
    if (!["http:", "https:", "mailto:"].includes(parsed.protocol)) return undefined;
    // `mailto:` keeps `<`, `>` and quotes as written; no honest address needs them unencoded.
    return /["<>\\\s]/.test(parsed.href) ? undefined : parsed.href;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------
// CSS
// ---------------------------------------------------------------------------------------------------

/** Index of the quote closing the string that opens at `start`, or -1 (CSS strings end at a newline). */
function stringEnd(css: string, start: number): number {
  const quote = css[start];
  for (let i = start + 1; i < css.length; i++) {
    const c = css[i];
    if (c === quote) return i;
    if (c === "\n") return -1;
  }
  return -1;
}

/** Splits on `separator` outside strings and parentheses. */
function splitTopLevel(css: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < css.length; i++) {
    const c = css[i];
    if (c === '"' || c === "'") {
      const end = stringEnd(css, i);
      if (end > 0) i = end;
    } else if (c === "(") depth++;
    else if (c === ")") depth = Math.max(0, depth - 1);
    else if (c === separator && depth === 0) {
      parts.push(css.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(css.slice(start));
  return parts;
}

/** Reads the argument of `url(` starting at `start`; returns it and the index after `)`. */
function readUrlArgument(value: string, start: number): { arg: string; next: number } | undefined {
  let i = start;
  while (value[i] === " ") i++;
  const c = value[i];
  let arg: string;
  if (c === '"' || c === "'") {
    const end = stringEnd(value, i);
    if (end < 0) return undefined;
    arg = value.slice(i + 1, end);
    i = end + 1;
    while (value[i] === " ") i++;
  } else {
    const end = value.indexOf(")", i);
    if (end < 0) return undefined;
    arg = value.slice(i, end).trim();
    if (/["'(\s]/.test(arg)) return undefined;
    i = end;
  }
  if (value[i] !== ")") return undefined;
  return { arg, next: i + 1 };
}

/** A run of ASCII letters and hyphens: a keyword, or a function name when `(` follows. */
const CSS_WORD = /[a-zA-Z-]+/y;

/** The value rebuilt from allowed pieces, or undefined to drop the declaration. */
function sanitizeCssValue(property: string, value: string, ctx: RunContext): string | undefined {
  let out = "";
  let depth = 0;
  let i = 0;
  while (i < value.length) {
    const c = value.charAt(i);
    if (c === '"' || c === "'") {
      const end = stringEnd(value, i);
      if (end < 0 || !CSS_STRING_CONTENT.test(value.slice(i + 1, end))) return undefined;
      out += value.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    // A whole word at once (scanning for `word(` from every letter would be quadratic).
    CSS_WORD.lastIndex = i;
    const word = CSS_WORD.exec(value)?.[0];
    if (word !== undefined) {
      const next = i + word.length;
      if (value[next] !== "(") {
        out += word;
        i = next;
        continue;
      }
      const name = word.toLowerCase();
      if (name === "url") {
        if (!CSS_URL_PROPERTIES.has(property)) return undefined;
        const read = readUrlArgument(value, next + 1);
        if (!read) return undefined;
        const url = imageUrl(read.arg, ctx);
        if (url === undefined) return undefined;
        out += `url("${url}")`;
        i = read.next;
        continue;
      }
      if (!CSS_FUNCTIONS.has(name)) return undefined;
      out += `${name}(`;
      depth++;
      i = next + 1;
      continue;
    }
    if (c === ")") {
      if (depth === 0) return undefined;
      depth--;
      out += c;
    } else if (CSS_VALUE_CHAR.test(c)) {
      out += c;
    } else {
      return undefined;
    }
    i++;
  }
  return depth === 0 ? out.trim() : undefined;
}

/** `prop:value` pairs joined by `;`, keeping only allowed properties with clean values. */
function sanitizeDeclarations(block: string, ctx: RunContext): string {
  const kept: string[] = [];
  for (const declaration of splitTopLevel(block, ";")) {
    const colon = declaration.indexOf(":");
    if (colon < 0) continue;
    const property = declaration.slice(0, colon).trim().toLowerCase();
    if (!CSS_PROPERTIES.has(property)) continue;
    let value = declaration.slice(colon + 1).trim();
    const important = /!\s*important$/i.exec(value);
    if (important) value = value.slice(0, important.index).trim();
    if (value === "") continue;
    if (property === "position" && !CSS_POSITIONS.has(value.toLowerCase())) continue;
    const clean = sanitizeCssValue(property, value, ctx);
    if (clean === undefined || clean === "") continue;
    kept.push(`${property}:${clean}${important ? " !important" : ""}`);
  }
  return kept.join(";");
}

/** Comments become a space (as a CSS tokenizer separates tokens), control characters go, blanks fold. */
function normalizeCss(css: string): string {
  return (
    css
      .replace(/\/\*[\s\S]*?(?:\*\/|$)/g, " ")
      // biome-ignore lint/suspicious/noControlCharactersInRegex: CSS has no use for control characters.
      .replace(/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/g, "")
      .replace(/[\t\r\f]/g, " ")
  );
}

/** The index of the `}` closing the block opened just before `start` (or the end of the text). */
function blockEnd(css: string, start: number): number {
  let depth = 1;
  for (let i = start; i < css.length; i++) {
    const c = css[i];
    if (c === '"' || c === "'") {
      const end = stringEnd(css, i);
      if (end > 0) i = end;
    } else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i;
  }
  return css.length;
}

/** The index of the first `{` or `;` outside strings at or after `start`, or -1. */
function preludeEnd(css: string, start: number): number {
  for (let i = start; i < css.length; i++) {
    const c = css[i];
    if (c === '"' || c === "'") {
      const end = stringEnd(css, i);
      if (end > 0) i = end;
    } else if (c === "{" || c === ";") return i;
  }
  return -1;
}

/**
 * A stylesheet rebuilt from its allowed parts: style rules with plain selectors and filtered
 * declarations, and `@media` blocks of those. Every other at-rule (@import, @font-face, @charset,
 * @namespace, @keyframes, @page, @supports…) is dropped with its block.
 */
function sanitizeStylesheet(css: string, ctx: RunContext, nested = false): string {
  let out = "";
  let i = 0;
  while (i < css.length) {
    const end = preludeEnd(css, i);
    if (end < 0) break;
    const prelude = css
      .slice(i, end)
      .replace(/^[\s}]+/, "")
      .replace(/\s+/g, " ")
      .trim();
    if (css[end] === ";") {
      i = end + 1;
      continue;
    }
    const close = blockEnd(css, end + 1);
    const block = css.slice(end + 1, close);
    i = close + 1;
    if (prelude.startsWith("@")) {
      const media = /^@media\s+(.+)$/i.exec(prelude);
      if (!nested && media?.[1] && CSS_MEDIA_QUERY.test(media[1])) {
        const inner = sanitizeStylesheet(block, ctx, true);
        if (inner) out += `@media ${media[1]}{${inner}}`;
      }
    } else if (prelude !== "" && prelude.length <= CSS_SELECTOR_MAX && CSS_SELECTOR.test(prelude)) {
      const declarations = sanitizeDeclarations(block, ctx);
      if (declarations) out += `${prelude}{${declarations}}`;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------------------------------

/** Undoes sanitize-html's escaping of text (`&`, `<`, `>`), to get a `<style>` element's CSS back. */
function unescapeText(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** Keeps an element's allowed attributes, with URLs resolved and the style attribute rebuilt. */
function cleanAttributes(tag: string, attribs: sanitizeHtml.Attributes, ctx: RunContext): sanitizeHtml.Attributes {
  const out: sanitizeHtml.Attributes = {};
  const allowed = attributesOf(tag);
  for (const [name, value] of Object.entries(attribs)) {
    if (!allowed.includes(name)) continue;
    if (name === "style") {
      const style = sanitizeDeclarations(normalizeCss(value), ctx);
      if (style) out.style = style;
    } else if (IMAGE_URL_ATTRIBUTES.has(name)) {
      const url = imageUrl(value, ctx);
      if (url !== undefined) out[name] = url;
    } else if (name === "href" || name === "target" || name === "rel") {
      // Set below for links.
    } else {
      out[name] = value;
    }
  }
  if (tag === "a" && attribs.href !== undefined) {
    const href = linkUrl(attribs.href);
    if (href !== undefined) {
      const web = !href.startsWith("mailto:");
      out.href = web && ctx.guardLink ? ctx.guardLink(href) : href;
      out.target = web && ctx.guardLink ? "_top" : "_blank";
      out.rel = "noopener noreferrer";
      if (web) ctx.onLink?.(href);
      out[LINK_NUMBER] = String(ctx.links.length);
      ctx.links.push(web ? href : "");
    }
  }
  return out;
}

/**
 * The mail's `<body>` becomes a `<div>` that keeps its colours and background: its legacy attributes
 * (`bgcolor`, `text`, `background`) turn into CSS, which the style filter then checks like any other.
 */
function bodyAsBlock(attribs: sanitizeHtml.Attributes, ctx: RunContext): sanitizeHtml.Attributes {
  const { bgcolor, text, background, style, ...rest } = attribs;
  const declarations: string[] = [];
  if (bgcolor !== undefined) declarations.push(`background-color:${bgcolor}`);
  if (text !== undefined) declarations.push(`color:${text}`);
  const image = background === undefined ? undefined : imageUrl(background, ctx);
  if (image !== undefined) declarations.push(`background-image:url("${image}")`);
  if (style !== undefined) declarations.push(style);
  return declarations.length > 0 ? { ...rest, style: declarations.join(";") } : rest;
}

function sanitizerOptions(ctx: RunContext): sanitizeHtml.IOptions {
  return {
    allowedTags: [...ALLOWED_TAGS],
    allowedAttributes: ALLOWED_ATTRIBUTES,
    // Second line of defence behind `cleanAttributes`: the schemes each tag's URL attributes may use.
    allowedSchemes: ["http", "https", "mailto"],
    allowedSchemesByTag: {
      img: ["data", "http", "https"],
      table: ["data", "http", "https"],
      td: ["data", "http", "https"],
      th: ["data", "http", "https"],
    },
    allowProtocolRelative: false,
    // The style attribute is rebuilt by our own CSS filter; sanitize-html's postcss pass would only
    // re-serialise it.
    parseStyleAttributes: false,
    disallowedTagsMode: "discard",
    nonTextTags: DROPPED_CONTENT_TAGS,
    nestingLimit: NESTING_LIMIT,
    enforceHtmlBoundary: false,
    transformTags: {
      body: (_tagName, attribs) => ({ tagName: "div", attribs: bodyAsBlock(attribs, ctx) }),
      "*": (tagName, attribs) => ({
        tagName,
        attribs: ALLOWED_TAG_SET.has(tagName) ? cleanAttributes(tagName, attribs, ctx) : attribs,
      }),
    },
    // `<style>` is not an allowed tag, so its text arrives in `textFilter` (escaped): each element's
    // CSS is collected, to be rebuilt by the CSS filter, and nothing is shown in its place.
    onOpenTag: (name) => {
      if (name === "style") ctx.css.push("");
      // Void elements get a close event right after their open one, so this is the parser's depth.
      if (++ctx.depth > MAX_PARSE_DEPTH) throw new TooDeepError();
    },
    onCloseTag: () => {
      ctx.depth--;
    },
    // Called as each element closes, its whole text known: a link's text is compared with its URL.
    exclusiveFilter: (frame) => {
      const number = frame.tag === "a" ? frame.attribs[LINK_NUMBER] : undefined;
      if (number !== undefined) {
        const href = ctx.links[Number(number)] ?? "";
        const destination = href === "" ? null : deceptiveDestination(frame.text, href);
        if (destination !== null) ctx.deceptive.set(Number(number), destination);
      }
      return false;
    },
    textFilter: (text, tagName) => {
      if (tagName !== "style") return text;
      const last = ctx.css.length - 1;
      if (last < 0) ctx.css.push(unescapeText(text));
      else ctx.css[last] += unescapeText(text);
      return "";
    },
  };
}

/** The marker after a deceptive link; inline `!important` styles, so that the message's CSS cannot hide it. */
function deceptiveMarker(destination: string): string {
  const text = deceptiveLinkMarker(domainForReader(destination));
  return (
    ' <span class="sesame-lien-trompeur" title="' +
    escapeText(DECEPTIVE_LINK_TITLE) +
    '" style="display:inline !important;visibility:visible !important;opacity:1 !important;' +
    "position:static !important;color:#ce0500 !important;background:#fff !important;" +
    'font:bold 14px/1.4 system-ui,sans-serif !important;text-decoration:none !important">' +
    `${escapeText(text)}</span>`
  );
}

function escapeText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * The sanitized body with the links' numbers taken out and a marker after each deceptive link. In
 * sanitize-html's output every `<` of text or attribute value is escaped, so the only `<a …>` and
 * `</a>` are the links' own tags.
 */
function finishLinks(body: string, ctx: RunContext): string {
  if (ctx.links.length === 0) return body;
  const open: (number | null)[] = [];
  return body.replace(/<a\b[^>]*>|<\/a>/g, (tag) => {
    if (tag === "</a>") {
      const number = open.pop();
      const destination = number == null ? undefined : ctx.deceptive.get(number);
      return destination === undefined ? tag : tag + deceptiveMarker(destination);
    }
    let number: number | null = null;
    const cleaned = tag.replace(/ data-sesame-link="(\d+)"/, (_all, n: string) => {
      number = Number(n);
      return "";
    });
    open.push(number);
    return cleaned;
  });
}

/**
 * The text of a document too deep to parse, found without a parser: every `<` that opens a tag,
 * comment or declaration is skipped up to its `>`. What is left is text; `<` and `>` are escaped, so
 * character references (`&eacute;`) still show as characters and can never form markup.
 */
function textOnly(input: string): string {
  let text = "";
  let i = 0;
  while (i < input.length) {
    const lt = input.indexOf("<", i);
    if (lt < 0) {
      text += input.slice(i);
      break;
    }
    text += input.slice(i, lt);
    if (/[a-zA-Z/!?]/.test(input.charAt(lt + 1))) {
      const gt = input.indexOf(">", lt);
      if (gt < 0) break;
      text += " ";
      i = gt + 1;
    } else {
      text += "<";
      i = lt + 1;
    }
  }
  const escaped = text
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[ \t]+/g, " ");
  return `<div style="white-space:pre-line">${escaped}</div>`;
}

/**
 * Sanitizes the HTML part of a message for display in the reading frame.
 *
 * Input longer than `MAX_MAIL_HTML_LENGTH` is cut before parsing (a notice says so), so a huge body
 * costs bounded time. `<style>` blocks are kept, rebuilt by the CSS filter, at the top of the result.
 */
export function sanitizeMailHtml(html: string, options: SanitizeMailOptions): SanitizedMail {
  const ctx: RunContext = {
    allowRemote: options.allowRemote,
    inlineImages: options.inlineImages,
    blockedRemote: false,
    css: [],
    depth: 0,
    guardLink: options.guardLink,
    onLink: options.onLink,
    links: [],
    deceptive: new Map(),
  };
  const truncated = html.length > MAX_MAIL_HTML_LENGTH;
  const input = (truncated ? html.slice(0, MAX_MAIL_HTML_LENGTH) : html)
    .replaceAll("\u0000", "\ufffd")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are noise in a mail body.
    .replace(/[\u0001-\u0008\u000b\u000e-\u001f\u007f]/g, "");
  let body: string;
  try {
    body = finishLinks(sanitizeHtml(input, sanitizerOptions(ctx)), ctx);
  } catch (error) {
    if (!(error instanceof TooDeepError)) throw error;
    return {
      html: TOO_DEEP_NOTICE + textOnly(input) + (truncated ? TRUNCATION_NOTICE : ""),
      blockedRemoteContent: false,
    };
  }
  // CDO and CDC (`<!--`, `-->`) are ignored at the top of a stylesheet: blank them.
  const css = ctx.css.map((sheet) => sanitizeStylesheet(normalizeCss(sheet).replace(/<!--|-->/g, " "), ctx)).join("");
  return {
    html: (css ? `<style>${css}</style>` : "") + body + (truncated ? TRUNCATION_NOTICE : ""),
    blockedRemoteContent: ctx.blockedRemote,
    ...(options.guardLink ? { guardedLinks: true as const } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------
// The frame
// ---------------------------------------------------------------------------------------------------

/** Base styles of the reading frame; a message's own styles come after and may override them. */
const FRAME_STYLES = [
  "html{color-scheme:light}",
  "body{margin:0;padding:16px;background:#fff;color:#1e1e1e;" +
    'font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;overflow-wrap:break-word}',
  "img{max-width:100%}",
  "pre{white-space:pre-wrap}",
  "a{color:#000091}",
  "blockquote{margin:0 0 0 8px;padding-left:8px;border-left:2px solid #929292}",
].join("");

/**
 * The whole document served inside the reading iframe, around an already sanitized fragment.
 * `no-referrer` keeps the message's address out of remote image requests once they are allowed.
 */
export function frameDocument(body: { html: string }): string {
  return (
    '<!doctype html><html lang="fr"><head><meta charset="utf-8">' +
    '<meta name="color-scheme" content="light"><meta name="referrer" content="no-referrer">' +
    `<style>${FRAME_STYLES}</style></head><body>${body.html}</body></html>`
  );
}

/**
 * The Content-Security-Policy header of the frame document. Nothing may load but inline styles and
 * `data:` images (plus http(s) images once remote content is allowed); no script, font, form, base,
 * plugin or nested frame. `frame-ancestors 'self'`: only the webmail may frame it. `sandbox` repeats
 * the iframe's sandbox, so the document is just as confined when opened on its own in a tab.
 */
export function frameContentSecurityPolicy(allowRemote: boolean, guardedLinks = false): string {
  return [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `img-src data:${allowRemote ? " https: http:" : ""}`,
    "font-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
    "frame-ancestors 'self'",
    `sandbox ${guardedLinks ? GUARDED_FRAME_SANDBOX : FRAME_SANDBOX}`,
  ].join("; ");
}

/**
 * HTML the compose page's rich-text editor may be given back (the form returned with an error, a
 * draft resumed): the formatting the editor makes — bold, italic, lists, paragraphs, line breaks,
 * http(s) and mailto links — and nothing else; other elements keep their text only. It goes into
 * the page itself (not the sandboxed frame), so the allow-list is much narrower than a mail's.
 */
export function sanitizeEditorHtml(html: string): string {
  return sanitizeHtml(html.slice(0, MAX_MAIL_HTML_LENGTH), {
    allowedTags: ["b", "strong", "i", "em", "u", "ul", "ol", "li", "a", "br", "p", "div"],
    allowedAttributes: { a: ["href"] },
    allowedSchemes: ["http", "https", "mailto"],
    allowedSchemesAppliedToAttributes: ["href"],
    allowProtocolRelative: false,
    nonTextTags: ["script", "style", "textarea", "option", "noscript", "title", "head", "template"],
    // sanitize-html lets relative targets through: the editor only makes absolute ones.
    transformTags: {
      a: (tagName, attribs): sanitizeHtml.Tag => {
        const href = attribs.href ?? "";
        return { tagName, attribs: /^(https?:\/\/|mailto:)/i.test(href) ? { href } : {} };
      },
    },
  }).trim();
}
