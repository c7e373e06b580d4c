/**
 * How a sender is shown: the one place for the rules the message list, the reading
 * view and the reply page share.
 *
 * - A domain is shown in its Unicode form (as IDNA maps it, through Node's `url.domainToUnicode`),
 *   with its ASCII form (punycode, `url.domainToASCII`) beside it when its characters mix scripts:
 *   `xn--ac-lyn-0qf.fr` is « ac-lyоn.fr » with a Cyrillic о, which nothing else tells from the
 *   académie's own domain.
 * - "Mixed scripts" is the single-script test of UTS #39 (§5.1, resolved script set), over the whole
 *   domain: each character brings its Script_Extensions (Common and Inherited ones — digits, hyphen,
 *   dot — bring nothing), Han, Hiragana, Katakana, Hangul and Bopomofo are augmented with the
 *   Japanese, Korean and Han-with-Bopomofo sets so that a Japanese label stays one script; the
 *   domain mixes scripts when no script is common to all its characters. So a label mixing Latin
 *   and Cyrillic mixes, and so does a Cyrillic label under a Latin `.com` (`пример.com`), or a
 *   Japanese one under `.jp`: the ASCII form is then shown too, which costs nothing to read.
 *   A single-script Unicode domain (`café.fr`, `пример.рф`) is shown in Unicode only.
 * - "Inside the académie" is academie-domains.ts's rule, applied to the address with its domain in
 *   ASCII form (what DNS resolves), so a look-alike is never inside.
 * - The list shows the sender's domain beside the display name when the sender is outside the
 *   académie or when the display name holds an address (`"dsi@ac-lyon.fr" <attacker@evil.example>`).
 */
import { domainToASCII, domainToUnicode } from "node:url";
import { isAcademieAddress } from "../directory/academie-domains.js";
import type { DomainDisplay, Mailbox, SenderDisplay } from "./mail.types.js";

// ------------------------------------------------------------------------------------------------
// Scripts

/**
 * Unicode's scripts (long names, Unicode 15.1 and later): those the running engine does not know
 * are left out, and a character of a script outside the list counts as a script of its own.
 */
const SCRIPT_NAMES = `
  Latin Cyrillic Greek Armenian Georgian Hebrew Arabic Han Hiragana Katakana Hangul Bopomofo Thai Devanagari
  Bengali Tamil Telugu Kannada Malayalam Gujarati Gurmukhi Oriya Sinhala Lao Khmer Myanmar Tibetan Ethiopic
  Cherokee Mongolian Syriac Thaana Nko Tifinagh Coptic Glagolitic Runic Ogham Canadian_Aboriginal Yi Vai
  Adlam Ahom Anatolian_Hieroglyphs Avestan Balinese Bamum Bassa_Vah Batak Bhaiksuki Brahmi Braille Buginese
  Buhid Carian Caucasian_Albanian Chakma Cham Chorasmian Cuneiform Cypriot Cypro_Minoan Deseret Dives_Akuru
  Dogra Duployan Egyptian_Hieroglyphs Elbasan Elymaic Garay Gothic Grantha Gunjala_Gondi Gurung_Khema
  Hanifi_Rohingya Hanunoo Hatran Imperial_Aramaic Inscriptional_Pahlavi Inscriptional_Parthian Javanese
  Kaithi Kawi Kayah_Li Kharoshthi Khitan_Small_Script Khojki Khudawadi Kirat_Rai Lepcha Limbu Linear_A
  Linear_B Lisu Lycian Lydian Mahajani Makasar Mandaic Manichaean Marchen Masaram_Gondi Medefaidrin
  Meetei_Mayek Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mro Multani Nabataean
  Nag_Mundari Nandinagari New_Tai_Lue Newa Nushu Nyiakeng_Puachue_Hmong Ol_Chiki Ol_Onal Old_Hungarian
  Old_Italic Old_North_Arabian Old_Permic Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic Old_Uyghur
  Osage Osmanya Pahawh_Hmong Palmyrene Pau_Cin_Hau Phags_Pa Phoenician Psalter_Pahlavi Rejang Samaritan
  Saurashtra Sharada Shavian Siddham SignWriting Sogdian Sora_Sompeng Soyombo Sundanese Sunuwar Syloti_Nagri
  Tagalog Tagbanwa Tai_Le Tai_Tham Tai_Viet Takri Tangsa Tangut Todhri Toto Tulu_Tigalari Tirhuta Ugaritic
  Vithkuqi Wancho Warang_Citi Yezidi Zanabazar_Square
`
  .trim()
  .split(/\s+/);

/** Each known script with the test of its Script_Extensions property. */
const SCRIPTS: readonly { readonly name: string; readonly test: RegExp }[] = SCRIPT_NAMES.flatMap((name) => {
  try {
    return [{ name, test: new RegExp(`^\\p{Script_Extensions=${name}}$`, "u") }];
  } catch {
    return []; // A script newer than this engine's Unicode tables.
  }
});

/** Characters that belong to every script: digits, punctuation, combining marks. */
const NEUTRAL = /^[\p{Script_Extensions=Common}\p{Script_Extensions=Inherited}]$/u;

/** UTS #39's augmented sets: the scripts written together in Japanese, Korean and Chinese with Bopomofo. */
const AUGMENTED: Readonly<Record<string, readonly string[]>> = {
  Han: ["Jpan", "Kore", "Hanb"],
  Hiragana: ["Jpan"],
  Katakana: ["Jpan"],
  Hangul: ["Kore"],
  Bopomofo: ["Hanb"],
};

const scriptCache = new Map<string, ReadonlySet<string> | null>();
const SCRIPT_CACHE_MAX = 4096;

/** The augmented script set of one character; null for a character common to all scripts. */
function scriptsOf(char: string): ReadonlySet<string> | null {
  if (/^[a-z]$/i.test(char)) return LATIN;
  const cached = scriptCache.get(char);
  if (cached !== undefined) return cached;
  let result: ReadonlySet<string> | null = null;
  if (!NEUTRAL.test(char)) {
    const found = new Set<string>();
    for (const script of SCRIPTS) {
      if (!script.test.test(char)) continue;
      found.add(script.name);
      for (const extra of AUGMENTED[script.name] ?? []) found.add(extra);
    }
    // Unassigned, or a script this list does not name: a script of its own.
    if (found.size === 0) found.add(`U+${(char.codePointAt(0) ?? 0).toString(16)}`);
    result = found;
  }
  if (scriptCache.size >= SCRIPT_CACHE_MAX) scriptCache.clear();
  scriptCache.set(char, result);
  return result;
}

const LATIN: ReadonlySet<string> = new Set(["Latin"]);

/**
 * Whether `text` mixes scripts (UTS #39 §5.1): no script is shared by all its characters, those
 * common to every script (digits, `-`, `.`, combining marks) apart.
 */
export function mixesScripts(text: string): boolean {
  let common: Set<string> | null = null;
  for (const char of text) {
    const scripts = scriptsOf(char);
    if (scripts === null) continue;
    if (common === null) common = new Set(scripts);
    else for (const s of common) if (!scripts.has(s)) common.delete(s);
    if (common.size === 0) return true;
  }
  return false;
}

// ------------------------------------------------------------------------------------------------
// Domains and addresses

/**
 * A domain as the interface shows it: its Unicode form, its ASCII (punycode) form, and whether the
 * ASCII form must be shown beside (the Unicode form mixes scripts). An input IDNA refuses (`xn--zz`)
 * is shown as it is, lower case.
 */
export function displayDomain(domain: string): DomainDisplay {
  const raw = domain.trim().replace(/\.$/, "").toLowerCase();
  const ascii = domainToASCII(raw);
  const unicode = ascii === "" ? "" : domainToUnicode(ascii);
  if (ascii === "" || unicode === "") {
    return { unicode: raw, ascii: raw, mixedScripts: !/^[\x20-\x7e]*$/.test(raw) && mixesScripts(raw) };
  }
  return { unicode, ascii, mixedScripts: unicode !== ascii && mixesScripts(unicode) };
}

function split(address: string): { local: string; domain: string } {
  const at = address.lastIndexOf("@");
  return at < 0 ? { local: address, domain: "" } : { local: address.slice(0, at), domain: address.slice(at + 1) };
}

/** An address in one comparable form: lower case, NFKC, its domain in ASCII form. */
function comparable(address: string): string {
  const { local, domain } = split(address.normalize("NFKC").trim().toLowerCase());
  if (domain === "") return local;
  const ascii = domainToASCII(domain.replace(/\.$/, ""));
  return `${local}@${ascii === "" ? domain : ascii}`;
}

/** Whether two addresses are the same mailbox (case and domain encoding aside). */
export function sameAddress(a: string, b: string): boolean {
  return comparable(a) === comparable(b);
}

/**
 * Whether the display name holds an address other than the sender's own: any `@` (or a look-alike
 * that NFKC folds to it, such as ＠) left once the sender's own address is taken out.
 */
export function nameHoldsOtherAddress(name: string, address: string): boolean {
  let folded = name.normalize("NFKC").toLowerCase();
  if (!folded.includes("@")) return false;
  const own = address.normalize("NFKC").toLowerCase();
  const forms = new Set([own, comparable(own)]);
  const { local, domain } = split(own);
  if (domain !== "") forms.add(`${local}@${displayDomain(domain).unicode}`);
  for (const form of forms) if (form !== "") folded = folded.split(form).join(" ");
  return folded.includes("@");
}

/**
 * Everything the interface needs to show a sender (or a Reply-To mailbox) honestly, given the
 * académie's domains (academie-domains.ts).
 */
export function describeSender(mailbox: Mailbox, academie: readonly string[]): SenderDisplay {
  const { local, domain: rawDomain } = split(mailbox.address.trim());
  const domain = rawDomain === "" ? null : displayDomain(rawDomain);
  const address = domain ? `${local}@${domain.unicode}` : mailbox.address.trim();
  const asciiAddress = domain ? `${local}@${domain.ascii}` : address;
  const internal = domain !== null && isAcademieAddress(asciiAddress, academie);
  const name = mailbox.name.trim();
  const nameIsAddress = name === "" || sameAddress(name, address);
  const nameHasAddress = !nameIsAddress && nameHoldsOtherAddress(name, address);
  return {
    name: nameIsAddress ? "" : name,
    address,
    asciiAddress,
    domain,
    internal,
    nameHasAddress,
    showDomain: name !== "" && !nameIsAddress && domain !== null && (!internal || nameHasAddress),
  };
}

/**
 * The Reply-To mailboxes when answers would not go to the sender (one of them differs from From);
 * empty otherwise.
 */
export function repliesElsewhere(from: Mailbox | null, replyTo: readonly Mailbox[]): readonly Mailbox[] {
  if (replyTo.length === 0) return [];
  const differs = replyTo.some((r) => from === null || !sameAddress(r.address, from.address));
  return differs ? replyTo : [];
}
