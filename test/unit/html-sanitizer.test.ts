import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  FRAME_SANDBOX,
  frameContentSecurityPolicy,
  frameDocument,
  MAX_MAIL_HTML_LENGTH,
  sanitizeEditorHtml,
  sanitizeMailHtml,
} from "../../src/mail/html-sanitizer.js";
import { withCanary, XSS_VECTORS } from "../fixtures/xss-vectors.js";

const PNG =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

const clean = (html: string, allowRemote = false) => sanitizeMailHtml(html, { allowRemote }).html;

/** The tags of sanitized output, with their attributes (values unescaped enough for the checks here). */
function tags(html: string): Array<{ name: string; attributes: Map<string, string> }> {
  const found: Array<{ name: string; attributes: Map<string, string> }> = [];
  // sanitize-html escapes `>` in attribute values, so a tag always ends at the first `>`.
  for (const match of html.matchAll(/<([a-zA-Z][^\s/>]*)([^>]*)>/g)) {
    const attributes = new Map<string, string>();
    for (const attr of (match[2] ?? "").matchAll(/\s([^\s=/]+)(?:="([^"]*)")?/g)) {
      attributes.set(attr[1] ?? "", (attr[2] ?? "").replace(/&quot;/g, '"').replace(/&amp;/g, "&"));
    }
    found.push({ name: (match[1] ?? "").toLowerCase(), attributes });
  }
  return found;
}

describe("sanitizeMailHtml: links", () => {
  it("opens http, https and mailto links in a new tab without opener or referrer", () => {
    assert.equal(
      clean('<a href="https://www.education.gouv.fr/x?a=1&b=2" onclick="x()">lien</a>'),
      '<a href="https://www.education.gouv.fr/x?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">lien</a>',
    );
    assert.equal(
      clean('<a href="mailto:secretariat@ac-exemple.fr?subject=Bonjour" target="_self" rel="opener">écrire</a>'),
      '<a href="mailto:secretariat@ac-exemple.fr?subject=Bonjour" target="_blank" rel="noopener noreferrer">écrire</a>',
    );
  });

  it("drops javascript:, vbscript:, data:, relative and protocol-relative targets but keeps the text", () => {
    for (const href of [
      "javascript:alert(1)",
      " JaVaScRiPt:alert(1)",
      "java\tscript:alert(1)",
      "&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)",
      "javascript&colon;alert(1)",
      "vbscript:msgbox(1)",
      "data:text/html,<script>alert(1)</script>",
      "/relatif",
      "#ancre",
      "//evil.example/",
      "ftp://ftp.example/",
      "file:///etc/passwd",
    ]) {
      assert.equal(clean(`<a href="${href}">texte</a>`), "<a>texte</a>", href);
    }
  });
});

describe("sanitizeMailHtml: remote content", () => {
  it("removes remote images unless remote content is allowed, and says so", () => {
    const html = '<p>Bonjour</p><img src="https://tracker.example/pixel.gif" alt="logo" width="1" height="1">';
    const blocked = sanitizeMailHtml(html, { allowRemote: false });
    assert.equal(blocked.html, '<p>Bonjour</p><img alt="logo" width="1" height="1" />');
    assert.equal(blocked.blockedRemoteContent, true);
    const allowed = sanitizeMailHtml(html, { allowRemote: true });
    assert.equal(
      allowed.html,
      '<p>Bonjour</p><img src="https://tracker.example/pixel.gif" alt="logo" width="1" height="1" />',
    );
    assert.equal(allowed.blockedRemoteContent, false);
  });

  it("counts protocol-relative, scheme-relative and entity-encoded remote images as remote", () => {
    for (const src of [
      "//cdn.example/a.png",
      "http:cdn.example/a.png",
      "&#104;ttps://cdn.example/a.png",
      "  https://x.example/a.png ",
    ]) {
      const result = sanitizeMailHtml(`<img src="${src}">`, { allowRemote: false });
      assert.deepEqual(result, { html: "<img />", blockedRemoteContent: true }, src);
    }
  });

  it("flags remote CSS backgrounds, in style attributes, <style> blocks and background attributes", () => {
    for (const html of [
      '<div style="background-image:url(https://x.example/bg.png);color:red">x</div>',
      "<style>body{background:url('https://x.example/bg.png')}</style>",
      '<table background="https://x.example/bg.png"><tr><td>x</td></tr></table>',
      '<body background="https://x.example/bg.png">x</body>',
    ]) {
      const blocked = sanitizeMailHtml(html, { allowRemote: false });
      assert.equal(blocked.blockedRemoteContent, true, html);
      assert.doesNotMatch(blocked.html, /x\.example/, html);
      const allowed = sanitizeMailHtml(html, { allowRemote: true });
      assert.equal(allowed.blockedRemoteContent, false, html);
      assert.match(allowed.html, /https:\/\/x\.example\/bg\.png/, html);
    }
  });

  it("does not flag content that stays hidden either way (no remote content, or elements never shown)", () => {
    for (const html of [
      "<p>Bonjour</p>",
      `<img src="${PNG}">`,
      '<video poster="https://x.example/p.png"></video>',
      '<link rel="stylesheet" href="https://x.example/s.css">',
      '<img src="cid:absent@exemple.fr">',
    ]) {
      assert.equal(sanitizeMailHtml(html, { allowRemote: false }).blockedRemoteContent, false, html);
    }
  });

  it("never keeps srcset, poster, lowsrc or other fetching attributes, even when remote content is allowed", () => {
    const html = clean(
      `<img src="${PNG}" srcset="https://x.example/a.png 2x" lowsrc="https://x.example/b.png" dynsrc="https://x.example/c.avi">`,
      true,
    );
    assert.equal(html, `<img src="${PNG}" />`);
  });
});

describe("sanitizeMailHtml: inline images", () => {
  const inlineImages = new Map([
    ["logo@ac-exemple.fr", PNG],
    ["evil@x", "data:text/html;base64,PHNjcmlwdD4="],
    ["svg@x", "data:image/svg+xml;base64,PHN2Zy8+"],
  ]);

  it("replaces cid: references by the message's own parts, case-insensitively", () => {
    for (const src of [
      "cid:logo@ac-exemple.fr",
      "CID:Logo@AC-Exemple.fr",
      "cid:%3Clogo@ac-exemple.fr%3E",
      "cid:logo%40ac-exemple.fr",
    ]) {
      const result = sanitizeMailHtml(`<img src="${src}" alt="Logo">`, { allowRemote: false, inlineImages });
      assert.deepEqual(result, { html: `<img src="${PNG}" alt="Logo" />`, blockedRemoteContent: false }, src);
    }
    assert.equal(
      sanitizeMailHtml('<td style="background-image:url(cid:logo@ac-exemple.fr)">x</td>', {
        allowRemote: false,
        inlineImages,
      }).html,
      `<td style="background-image:url(&quot;${PNG}&quot;)">x</td>`,
    );
  });

  it("keeps only png, jpeg, gif and webp data: images, from the message or written in it", () => {
    const parts = { allowRemote: false, inlineImages };
    assert.equal(sanitizeMailHtml('<img src="cid:evil@x">', parts).html, "<img />");
    assert.equal(sanitizeMailHtml('<img src="cid:svg@x">', parts).html, "<img />");
    assert.equal(sanitizeMailHtml('<img src="cid:unknown@x">', parts).html, "<img />");
    assert.equal(clean(`<img src="${PNG}">`), `<img src="${PNG}" />`);
    assert.equal(clean('<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">'), "<img />");
    assert.equal(clean('<img src="data:text/html,<script>alert(1)</script>">'), "<img />");
    assert.equal(clean('<img src="data:image/png,<svg onload=alert(1)>">'), "<img />");
  });
});

describe("sanitizeMailHtml: CSS", () => {
  it("keeps the usual e-mail layout properties and drops the rest", () => {
    assert.equal(
      clean(
        "<p style=\"color:#333;font-family:'Helvetica Neue',Arial;font-size:14px;margin:0 0 8px;" +
          'behavior:url(x.htc);-moz-binding:url(x.xml#x);width:expression(alert(1));position:fixed;z-index:9;top:0">x</p>',
      ),
      "<p style=\"color:#333;font-family:'Helvetica Neue',Arial;font-size:14px;margin:0 0 8px;top:0\">x</p>",
    );
    assert.equal(
      clean('<td style="position:relative;width:100% !important">x</td>'),
      '<td style="position:relative;width:100% !important">x</td>',
    );
  });

  it("refuses escapes, comments splitting keywords, entities and unknown functions", () => {
    for (const style of [
      "width:\\65 xpression(alert(1))",
      "width:expr/**/ession(alert(1))",
      "background:u/**/rl(https://x.example/a.png)",
      "background:&#x75;rl(javascript:alert(1))",
      "background:url(javascript:alert(1))",
      "background:image-set('https://x.example/a.png' 1x)",
      "color:attr(title)",
      "font-family:'a\\'b'",
      "color:red;}</style><script>alert(1)</script>",
      "list-style:url(https://x.example/a.png)",
      "cursor:url(https://x.example/a.png),auto",
    ]) {
      const html = clean(`<div style="${style.replace(/"/g, "&quot;")}">x</div>`, true);
      assert.doesNotMatch(html, /url|expression|script|attr|image-set|\\/, style);
    }
  });

  it("rebuilds <style> blocks: plain rules and @media kept, @import, @font-face and the like dropped", () => {
    const { html } = sanitizeMailHtml(
      '<html><head><style>@import url(https://x.example/a.css);@charset "utf-7";' +
        "@font-face{font-family:x;src:url(https://x.example/f.woff)}" +
        ".titre{color:#000091;font-weight:bold} a:hover{text-decoration:underline}" +
        "@media screen and (max-width:600px){.col{width:100% !important;display:block}}" +
        "@keyframes k{from{color:red}} body{position:fixed;background:url(https://x.example/b.png)}" +
        '</style></head><body><p class="titre">Bonjour</p></body></html>',
      { allowRemote: false },
    );
    assert.equal(
      html,
      "<style>.titre{color:#000091;font-weight:bold}a:hover{text-decoration:underline}" +
        "@media screen and (max-width:600px){.col{width:100% !important;display:block}}</style>" +
        '<div><p class="titre">Bonjour</p></div>',
    );
  });

  it("cannot be broken out of: no < in rebuilt CSS, whatever the input", () => {
    for (const css of [
      "p{color:red}</style><script>alert(1)</script>",
      "p[title='</style><img src=x onerror=alert(1)>']{color:red}",
      "p{font-family:'</style><img src=x>'}",
      "<!-- p{color:red} -->",
      "@media screen and (</style>){p{color:red}}",
    ]) {
      const html = clean(`<style>${css}</style><p>x</p>`);
      const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? "";
      assert.doesNotMatch(style, /</, css);
      assert.doesNotMatch(html, /<script|onerror|src=/, css);
    }
  });
});

describe("sanitizeMailHtml: elements", () => {
  it("keeps e-mail markup: tables, formatting, lists, images with their presentational attributes", () => {
    const html =
      '<table width="600" cellpadding="0" cellspacing="0" border="0" align="center" bgcolor="#ffffff">' +
      '<tbody><tr><td valign="top" colspan="2" style="padding:8px"><h1>Titre</h1><p><b>gras</b> <i>it</i> <u>s</u> ' +
      '<font color="#ff0000" face="Arial" size="2">police</font></p><ul><li>un</li></ul><ol start="3"><li>trois</li></ol>' +
      "<blockquote>cité</blockquote><pre>code</pre><hr><br></td></tr></tbody></table>";
    assert.equal(clean(html), html.replace("<hr>", "<hr />").replace("<br>", "<br />"));
  });

  it("removes scripts with their content, and every active or embedding element", () => {
    assert.equal(clean("<p>a</p><script>alert(1)</script><p>b</p>"), "<p>a</p><p>b</p>");
    for (const html of [
      '<iframe src="https://x.example/"></iframe>',
      '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
      '<object data="https://x.example/a.swf"></object>',
      '<embed src="https://x.example/a.swf">',
      '<form action="https://x.example/"><input name="password"><button>OK</button></form>',
      '<base href="https://x.example/">',
      '<meta http-equiv="refresh" content="0;url=https://x.example/">',
      '<link rel="stylesheet" href="https://x.example/a.css">',
      "<svg onload=alert(1)><circle r=1 /></svg>",
      "<math><mi>x</mi></math>",
      '<video src="https://x.example/v.mp4" poster="https://x.example/p.png"></video>',
      '<audio src="https://x.example/a.mp3"></audio>',
      "<template><p>x</p></template>",
      '<textarea autofocus onfocus="alert(1)">x</textarea>',
      "<title>titre</title>",
    ]) {
      const out = clean(html, true);
      assert.doesNotMatch(out, /<(?!\/?(p|div|b)\b)/, `${html} → ${out}`);
      assert.doesNotMatch(out, /x\.example|alert/, html);
    }
  });

  it("drops every event handler, id, name and data attribute", () => {
    assert.equal(
      clean(
        '<p id="x" name="y" data-x="1" onclick="a()" onmouseover="b()" ONLOAD="c()" style="color:red" title="t">x</p>',
      ),
      '<p style="color:red" title="t">x</p>',
    );
  });

  it("turns the mail's body into a block that keeps its colours", () => {
    assert.equal(
      clean('<html><body bgcolor="#eeeeee" text="#333333" style="margin:0" onload="x()"><p>x</p></body></html>'),
      '<div style="background-color:#eeeeee;color:#333333;margin:0"><p>x</p></div>',
    );
  });

  it("escapes text, replaces NUL and strips other control characters", () => {
    assert.equal(clean("a < b & c > d"), "a &lt; b &amp; c &gt; d");
    assert.equal(clean("&lt;script&gt;alert(1)&lt;/script&gt;"), "&lt;script&gt;alert(1)&lt;/script&gt;");
    assert.equal(clean("<scr\u0000ipt>x</scr\u0000ipt>a\u0001b\u001bc"), "xabc");
    assert.equal(clean("<p title='a\u0000b'>x</p>"), '<p title="a\ufffdb">x</p>');
  });
});

describe("sanitizeMailHtml: the attack corpus, statically", () => {
  const allowedTags = new Set(
    "a abbr acronym address article aside b bdi bdo big blockquote br caption center cite code col colgroup dd del dfn div dl dt em figcaption figure font footer h1 h2 h3 h4 h5 h6 header hgroup hr i img ins kbd li mark ol p pre q rp rt ruby s samp section small span strike strong sub sup table tbody td tfoot th thead time tr tt u ul var wbr style".split(
      " ",
    ),
  );

  for (const allowRemote of [false, true]) {
    it(`leaves only allowed tags, no handler and only safe URLs in every vector (allowRemote: ${allowRemote})`, () => {
      const problems: string[] = [];
      for (const vector of XSS_VECTORS) {
        const { html, blockedRemoteContent } = sanitizeMailHtml(withCanary(vector.html, "http://127.0.0.1:9"), {
          allowRemote,
        });
        if (allowRemote && blockedRemoteContent) problems.push(`${vector.id}: blocked with remote allowed`);
        for (const { name, attributes } of tags(html)) {
          if (!allowedTags.has(name)) problems.push(`${vector.id}: <${name}>`);
          for (const [attribute, value] of attributes) {
            if (/^on/i.test(attribute)) problems.push(`${vector.id}: ${attribute}`);
            if (attribute === "href" && !/^(https?|mailto):/.test(value)) problems.push(`${vector.id}: href ${value}`);
            if (
              (attribute === "src" || attribute === "background") &&
              !/^data:image\/(png|jpeg|gif|webp);/.test(value)
            ) {
              if (!allowRemote || !/^https?:\/\//.test(value)) problems.push(`${vector.id}: ${attribute} ${value}`);
            }
            if (attribute === "style" && /expression|javascript|behavior|binding|\\/i.test(value)) {
              problems.push(`${vector.id}: style ${value}`);
            }
            if (attribute === "style" && !allowRemote && /url\((?!"data:image\/)/i.test(value)) {
              problems.push(`${vector.id}: style ${value}`);
            }
          }
        }
        const style = /^<style>([^<]*)<\/style>/.exec(html)?.[1];
        if (
          style !== undefined &&
          (/@import|@font-face|expression|javascript/i.test(style) || (!allowRemote && /url\((?!"data:)/i.test(style)))
        ) {
          problems.push(`${vector.id}: stylesheet ${style}`);
        }
        if ((html.match(/<style>/g) ?? []).length > 1 || /.<style>/s.test(html))
          problems.push(`${vector.id}: stray <style>`);
      }
      assert.deepEqual(problems, []);
    });
  }

  it("gives the same result when run on its own output (nothing left to rewrite)", () => {
    for (const vector of XSS_VECTORS) {
      const once = clean(withCanary(vector.html, "http://127.0.0.1:9"));
      assert.equal(clean(once), once, `vector ${vector.id}`);
    }
  });
});

describe("sanitizeMailHtml: bounded work", () => {
  const timed = (html: string) => {
    const start = performance.now();
    const result = sanitizeMailHtml(html, { allowRemote: false });
    return { result, ms: performance.now() - start };
  };
  // Generous: the machine may be busy; unbounded, these inputs take minutes.
  const LIMIT_MS = 5000;

  it("cuts a huge body before parsing and says so", () => {
    const { result, ms } = timed("<p>ligne de texte assez longue</p>".repeat(200_000));
    assert.ok(ms < LIMIT_MS, `${ms} ms`);
    assert.ok(result.html.length <= MAX_MAIL_HTML_LENGTH + 500);
    assert.match(result.html, /Message tronqué/);
  });

  it("shows a pathologically deep document as text instead of parsing it for minutes", () => {
    for (const html of ["<div>".repeat(400_000), "<table><tr><td>".repeat(100_000), "<b>texte ".repeat(200_000)]) {
      const { result, ms } = timed(html);
      assert.ok(ms < LIMIT_MS, `${ms} ms`);
      assert.match(result.html, /trop complexe/);
      assert.doesNotMatch(result.html, /<(?!\/?(p|div)\b)/);
    }
    const { result } = timed(`${"<div>".repeat(600)}<script>alert(1)</script>&lt;b&gt; &eacute;t&eacute;`);
    assert.match(result.html, /alert\(1\)/, "script text shown as text");
    assert.match(result.html, /&lt;b&gt; &eacute;t&eacute;/);
  });

  it("stays fast on inputs that make naive regular expressions or URL cleaners backtrack", () => {
    const M = MAX_MAIL_HTML_LENGTH;
    for (const html of [
      `<a href="mailto:a${"<!---->".repeat(M / 7 - 10)}">x</a>`,
      `<img src="http://a${" ".repeat(M - 30)}x">`,
      `<p style="color:${"rgb(".repeat(M / 4 - 10)}">`,
      `<p style="color:${"a".repeat(M - 30)}">`,
      `<p style="font-family:${"a ".repeat(M / 2 - 30)}">`,
      `<style>${"a".repeat(M - 30)}{color:red}</style>`,
      `<style>@media ${"a".repeat(M - 30)}{p{color:red}}</style>`,
      `<style>${"/*".repeat(M / 2 - 10)}</style>`,
      `<style>${"{".repeat(M - 20)}</style>`,
      `<style>${"\"'".repeat(M / 2 - 10)}</style>`,
      `${"<div>".repeat(500)}${"</zz>".repeat(M / 5 - 600)}`,
      "<".repeat(M),
    ]) {
      const { ms } = timed(html);
      assert.ok(ms < LIMIT_MS, `${html.slice(0, 30)}…: ${ms} ms`);
    }
  });

  it("keeps the nesting a renderer sees shallow", () => {
    const html = clean(`${"<div>".repeat(300)}fond`);
    assert.equal((html.match(/<div>/g) ?? []).length, 100);
    assert.match(html, /fond/);
  });
});

describe("the reading frame", () => {
  it("wraps the fragment in a French UTF-8 document with light colours and no referrer", () => {
    const doc = frameDocument({ html: "<p>Bonjour</p>" });
    assert.match(
      doc,
      /^<!doctype html><html lang="fr"><head><meta charset="utf-8"><meta name="color-scheme" content="light"><meta name="referrer" content="no-referrer"><style>[^<]+<\/style><\/head><body><p>Bonjour<\/p><\/body><\/html>$/,
    );
  });

  it("has a CSP that allows no script, no font, no form and data: images only until remote content is allowed", () => {
    assert.equal(
      frameContentSecurityPolicy(false),
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; form-action 'none'; " +
        "base-uri 'none'; frame-ancestors 'self'; sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox",
    );
    assert.match(frameContentSecurityPolicy(true), /; img-src data: https: http:; /);
  });

  it("is sandboxed without scripts or forms; its origin kept only for the page to size it", () => {
    assert.equal(FRAME_SANDBOX, "allow-same-origin allow-popups allow-popups-to-escape-sandbox");
    // Never scripts with the origin (the frame could lift its own sandbox), never forms or navigation.
    assert.doesNotMatch(FRAME_SANDBOX, /allow-scripts|allow-top-navigation|allow-forms/);
    assert.match(frameContentSecurityPolicy(false), /^default-src 'none';/);
  });
});

describe("sanitizeEditorHtml: what the compose editor may be given back", () => {
  const EDITOR_TAGS = new Set(["b", "strong", "i", "em", "u", "ul", "ol", "li", "a", "br", "p", "div"]);

  it("keeps the editor's own formatting and http(s)/mailto links, and the text of everything else", () => {
    assert.equal(
      sanitizeEditorHtml(
        '<div>Un <b>mot</b>, <i>deux</i><br><ol><li>a</li></ol><a href="mailto:x@exemple.fr">écrire</a></div>' +
          '<table><tr><td>cellule</td></tr></table><h1 style="color:red" class="x">titre</h1><style>p{}</style>',
      ),
      '<div>Un <b>mot</b>, <i>deux</i><br /><ol><li>a</li></ol><a href="mailto:x@exemple.fr">écrire</a></div>cellule' +
        "titre",
    );
  });

  it("lets no tag, attribute or link target outside its list through, for every attack vector", () => {
    for (const vector of XSS_VECTORS) {
      const out = sanitizeEditorHtml(withCanary(vector.html, "http://127.0.0.1:9"));
      for (const tag of tags(out)) {
        assert.ok(EDITOR_TAGS.has(tag.name), `${vector.family} #${vector.id}: <${tag.name}> in ${out}`);
        for (const [name, value] of tag.attributes) {
          assert.ok(tag.name === "a" && name === "href", `${vector.family} #${vector.id}: ${name} on <${tag.name}>`);
          assert.match(value, /^(https?:\/\/|mailto:)/i, `${vector.family} #${vector.id}: href ${value}`);
        }
      }
    }
  });
});
