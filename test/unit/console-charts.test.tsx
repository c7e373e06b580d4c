/**
 * The dashboard's charts and their section: each SVG well-formed XML with nothing active or
 * external in it, served with its own CSP; colours of at least 3:1 on both backgrounds; the section
 * with an `<img>` (light and dark) and a data table for each chart, and the period's links.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { render } from "preact-render-to-string";
import {
  type Dashboard,
  STATS_SERIES,
  type StatsBucket,
  type StatsRange,
  type StatsSeries,
} from "../../src/console/stats.types.js";
import {
  CHART_HEADERS,
  CHART_NAMES,
  CHART_THEMES,
  CHARTS,
  chartSvg,
  PALETTES,
  renderChart,
} from "../../src/web/console-charts.js";
import { DashboardSection } from "../../src/web/views/console-dashboard.view.js";

/** A dashboard of `n` hourly buckets ending on 10 March 2026 at 10 h (Paris), with varied values. */
function sampleDashboard(range: StatsRange = "24h", n = 24): Dashboard {
  const end = Date.parse("2026-03-10T10:00:00.000Z");
  const step = range === "24h" ? 3_600_000 : 86_400_000;
  const buckets: StatsBucket[] = Array.from({ length: n }, (_, i) => {
    const start = end - (n - i) * step;
    return {
      start: new Date(start).toISOString(),
      end: new Date(start + step).toISOString(),
      day: new Date(start + 3_600_000).toISOString().slice(0, 10),
      hour: range === "24h" ? (new Date(start).getUTCHours() + 1) % 24 : null,
      current: i === n - 1,
    };
  });
  const values = {} as Record<StatsSeries, (number | null)[]>;
  STATS_SERIES.forEach((series, k) => {
    values[series] = buckets.map((_, i) => (series === "queue.depth" && i < 3 ? null : ((i * 7 + k * 3) % 23) * 10));
  });
  return { range, step: range === "24h" ? "hour" : "day", timeZone: "Europe/Paris", generatedAt: "", buckets, values };
}

/** Every element of a parsed document with its attributes (fast-xml-parser, attributes kept). */
function* elements(node: unknown, name = "#document"): Generator<{ name: string; attributes: Record<string, string> }> {
  if (Array.isArray(node)) {
    for (const child of node) yield* elements(child, name);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith("@_")) attributes[key.slice(2)] = String(value);
  }
  yield { name, attributes };
  for (const [key, value] of Object.entries(node)) {
    if (!key.startsWith("@_") && key !== "#text") yield* elements(value, key);
  }
}

/** WCAG's contrast ratio of two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const luminance = (hex: string) => {
    const [r = 0, g = 0, bl = 0] = [1, 3, 5].map((i) => {
      const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

describe("dashboard charts (SVG)", () => {
  for (const range of ["24h", "30d"] as const) {
    it(`are well-formed SVG documents with nothing active or external (${range})`, async () => {
      const dashboard = sampleDashboard(range, range === "24h" ? 24 : 30);
      const parser = new XMLParser({
        ignoreAttributes: false,
        attributeNamePrefix: "@_",
        allowBooleanAttributes: true,
      });
      for (const name of CHART_NAMES) {
        for (const theme of CHART_THEMES) {
          const svg = await chartSvg(CHARTS[name], dashboard, theme);
          assert.equal(XMLValidator.validate(svg), true, `${name} ${theme}`);
          assert.doesNotMatch(svg, /<script|<foreignObject|javascript:/i);
          const doc = parser.parse(svg) as { svg?: { title?: string; "@_xmlns"?: string } };
          assert.equal(doc.svg?.["@_xmlns"], "http://www.w3.org/2000/svg");
          assert.match(String(doc.svg?.title), new RegExp(CHARTS[name].title));
          let count = 0;
          for (const element of elements(doc)) {
            count += 1;
            assert.notEqual(element.name.toLowerCase(), "script");
            for (const [attribute, value] of Object.entries(element.attributes)) {
              assert.doesNotMatch(attribute, /^on/i, `${name}: ${element.name} ${attribute}`);
              if (/href$|^src$/i.test(attribute)) assert.match(value, /^#/, `${name}: ${attribute}=${value}`);
              for (const url of value.matchAll(/url\(([^)]*)\)/g)) assert.match(url[1] ?? "", /^["']?#/);
            }
          }
          assert.ok(count > 50, `${name}: ${count} elements`);
        }
      }
    });
  }

  it("draws every series in its legend and labels the axis in French", async () => {
    const svg = await chartSvg(CHARTS.connexions, sampleDashboard(), "clair");
    for (const label of ["Webmail", "Assistance", "IMAP", "Envoi SMTP", "Console"])
      assert.match(svg, new RegExp(`>${label}<`));
    assert.match(svg, />\d{1,2} h</);
    const month = await chartSvg(CHARTS.messages, sampleDashboard("30d", 30), "sombre");
    assert.match(month, />(\d+ (janv|févr|mars)\.?)</);
    assert.match(month, /fill="#161616"/);
  });

  it("renders a chart by its name with its own headers, and nothing for an unknown name", async () => {
    const reply = await renderChart("file-attente", sampleDashboard(), "sombre");
    assert.ok(reply);
    assert.match(reply.body, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg /);
    assert.deepEqual(reply.headers, CHART_HEADERS);
    assert.equal(reply.headers["content-type"], "image/svg+xml; charset=utf-8");
    assert.equal(
      reply.headers["content-security-policy"],
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    );
    assert.equal(reply.headers["x-content-type-options"], "nosniff");
    assert.equal(reply.headers["cache-control"], "no-store");
    assert.equal(await renderChart("inconnu", sampleDashboard()), null);
    assert.equal(await renderChart("__proto__", sampleDashboard()), null);
    // An unknown theme is the light one.
    assert.match((await renderChart("messages", sampleDashboard(), "<script>"))?.body ?? "", /fill="#ffffff"/);
  });

  it("uses colours of at least 3:1 on their background, light and dark", () => {
    for (const theme of CHART_THEMES) {
      const p = PALETTES[theme];
      assert.ok(contrast(p.text, p.background) >= 4.5, `${theme} text`);
      assert.ok(contrast(p.axis, p.background) >= 3, `${theme} axis`);
      for (const colour of p.series) {
        assert.ok(
          contrast(colour, p.background) >= 3,
          `${theme} ${colour}: ${contrast(colour, p.background).toFixed(2)}`,
        );
      }
    }
  });
});

describe("dashboard section (view)", () => {
  const dashboard = sampleDashboard();
  const html = render(
    <DashboardSection
      dashboard={dashboard}
      range="24h"
      chartUrl={(name, theme) => `/graphiques/${name}.svg?theme=${theme}`}
    />,
  );

  it("shows each chart as an image with a French alternative, light and dark", () => {
    for (const name of CHART_NAMES) {
      const title = CHARTS[name].title;
      assert.ok(html.includes(`<h3 id="graphique-${name}">${title}</h3>`), name);
      assert.ok(
        html.includes(`<source media="(prefers-color-scheme: dark)" srcset="/graphiques/${name}.svg?theme=sombre"/>`),
        name,
      );
      const img = html.match(new RegExp(`<img src="/graphiques/${name}\\.svg\\?theme=clair"[^>]*>`))?.[0] ?? "";
      assert.match(
        img,
        new RegExp(
          `alt="Graphique « ${title} » sur les dernières 24 heures, par heure ; valeurs dans le tableau « Voir les données » qui suit\\."`,
        ),
      );
      assert.match(img, /width="720" height="340"/);
    }
    assert.doesNotMatch(html, /style=/);
  });

  it("gives each chart a data table with a caption, column and row headers, and a total", () => {
    const tables = html.match(/<table>[\s\S]*?<\/table>/g) ?? [];
    assert.equal(tables.length, CHART_NAMES.length);
    const connexions = tables[0] ?? "";
    assert.match(connexions, /<caption>Connexions réussies, sur les dernières 24 heures, par heure<\/caption>/);
    assert.match(
      connexions,
      /<th scope="col">Heure<\/th><th scope="col">Webmail<\/th><th scope="col">Assistance<\/th><th scope="col">IMAP<\/th><th scope="col">Envoi SMTP<\/th><th scope="col">Console<\/th>/,
    );
    assert.equal(connexions.match(/<th scope="row">/g)?.length, 24 + 1);
    assert.match(connexions, /<th scope="row">mardi 10 mars 2026, 10 h – 11 h \(en cours\)<\/th>/);
    const webmail = dashboard.values["signin.success.webmail"].reduce<number>((a, v) => a + (v ?? 0), 0);
    assert.match(
      connexions,
      new RegExp(`<th scope="row">Total</th><td>${new Intl.NumberFormat("fr-FR").format(webmail)}</td>`),
    );
    const queue = tables.at(-1) ?? "";
    assert.match(queue, /<td>non mesuré<\/td>/);
    assert.match(queue, /<th scope="row">Maximum<\/th>/);
    assert.equal(
      html.match(/<details class="console-chart-data"><summary>Voir les données<span class="visually-hidden"> : /g)
        ?.length,
      6,
    );
  });

  it("links the three periods, the one shown marked as current", () => {
    assert.match(html, /<nav aria-label="Période affichée">/);
    assert.match(html, /<a href="\?periode=24h" aria-current="page">24 heures<\/a>/);
    assert.match(html, /<a href="\?periode=7d">7 jours<\/a>/);
    assert.match(html, /<a href="\?periode=30d">30 jours<\/a>/);
  });
});
