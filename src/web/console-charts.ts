/**
 * The administration dashboard's charts: SVG documents rendered on the server by Apache ECharts (its
 * server-side mode: no DOM, no canvas), each served on its own URL and shown with `<img>`, so that
 * the console's pages keep their strict CSP (no inline style in HTML). An SVG served this way gets its
 * own CSP (CHART_HEADERS): its inline styles only, nothing else (no script, no external resource).
 *
 * An `<img>`'s SVG cannot see the page's colour scheme: each chart is rendered for a light and a dark
 * page (`clair`, `sombre`), both opaque, and the view picks one with `<picture>` and
 * `prefers-color-scheme`. Every colour has a contrast of at least 3:1 on its background (WCAG 1.4.11);
 * series differ by more than their colour too (line dashes and symbols, bar patterns), and each
 * chart has a table beside it (console-dashboard.view.tsx).
 */
import type * as Echarts from "echarts/core";
import { type Dashboard, SIGN_IN_DOORS, type StatsSeries } from "../console/stats.types.js";
import { consoleStatsFr } from "./i18n/console-stats.fr.js";

/**
 * ECharts, loaded at the first chart: it holds about 80 MB of memory once loaded, which a server
 * that never draws the dashboard (an instance receiving mail, a burst of sign-ins) does not carry.
 */
let loaded: Promise<typeof Echarts> | undefined;
function loadEcharts(): Promise<typeof Echarts> {
  loaded ??= (async () => {
    const [echarts, charts, components, renderers] = await Promise.all([
      import("echarts/core"),
      import("echarts/charts"),
      import("echarts/components"),
      import("echarts/renderers"),
    ]);
    echarts.use([
      charts.BarChart,
      charts.LineChart,
      components.GridComponent,
      components.LegendComponent,
      components.AriaComponent,
      renderers.SVGRenderer,
    ]);
    return echarts;
  })();
  return loaded;
}

const t = consoleStatsFr;

export const CHART_NAMES = ["connexions", "echecs", "assistance", "limitations", "messages", "file-attente"] as const;
export type ChartName = (typeof CHART_NAMES)[number];

export function isChartName(value: string): value is ChartName {
  return (CHART_NAMES as readonly string[]).includes(value);
}

/** For a light page (`clair`) or a dark one (`sombre`). */
export const CHART_THEMES = ["clair", "sombre"] as const;
export type ChartTheme = (typeof CHART_THEMES)[number];

export interface ChartSpec {
  readonly name: ChartName;
  readonly title: string;
  /** What the chart shows, for its text alternative. */
  readonly summary: string;
  /** Counts of kinds that add up (bars, stacked) or figures side by side (lines). */
  readonly kind: "stacked-bars" | "lines";
  readonly series: readonly { readonly key: StatsSeries; readonly label: string }[];
}

export const CHARTS: Readonly<Record<ChartName, ChartSpec>> = {
  connexions: {
    name: "connexions",
    ...t.charts.connexions,
    kind: "stacked-bars",
    series: SIGN_IN_DOORS.map((door) => ({ key: `signin.success.${door}` as const, label: t.doors[door] })),
  },
  echecs: {
    name: "echecs",
    ...t.charts.echecs,
    kind: "stacked-bars",
    series: SIGN_IN_DOORS.map((door) => ({ key: `signin.failure.${door}` as const, label: t.doors[door] })),
  },
  assistance: {
    name: "assistance",
    ...t.charts.assistance,
    kind: "lines",
    series: [
      { key: "assistance.numen", label: t.series.numen },
      { key: "assistance.numen_failed", label: t.series.numenFailed },
      { key: "assistance.link", label: t.series.link },
      { key: "assistance.completed", label: t.series.completed },
    ],
  },
  limitations: {
    name: "limitations",
    ...t.charts.limitations,
    kind: "lines",
    series: [
      { key: "throttle.started", label: t.series.throttleStarted },
      { key: "throttle.refused", label: t.series.throttleRefused },
    ],
  },
  messages: {
    name: "messages",
    ...t.charts.messages,
    kind: "lines",
    series: [
      { key: "mail.received", label: t.series.received },
      { key: "mail.refused", label: t.series.refused },
      { key: "mail.sent", label: t.series.sent },
    ],
  },
  "file-attente": {
    name: "file-attente",
    ...t.charts["file-attente"],
    kind: "lines",
    series: [{ key: "queue.depth", label: t.series.queueDepth }],
  },
};

interface Palette {
  readonly background: string;
  readonly text: string;
  /** Axes and ticks. */
  readonly axis: string;
  /** The horizontal guide lines (decorative). */
  readonly guide: string;
  readonly series: readonly string[];
  /** The patterns drawn over bars. */
  readonly pattern: string;
}

/** The page's own colours (app.css) and five series colours of at least 3:1 on the background. */
export const PALETTES: Readonly<Record<ChartTheme, Palette>> = {
  clair: {
    background: "#ffffff",
    text: "#1e1e1e",
    axis: "#767676",
    guide: "#dddddd",
    series: ["#000091", "#b3261e", "#18753c", "#8a4b00", "#6a1b9a"],
    pattern: "rgba(255,255,255,0.55)",
  },
  sombre: {
    background: "#161616",
    text: "#f0f0f0",
    axis: "#929292",
    guide: "#3a3a3a",
    series: ["#8585f6", "#ff8a80", "#6fe49d", "#ffb74d", "#ce93d8"],
    pattern: "rgba(0,0,0,0.45)",
  },
};

export const CHART_WIDTH = 720;
export const CHART_HEIGHT = 340;
const LINE_TYPES = ["solid", "dashed", "dotted", "solid", "dashed"] as const;
const SYMBOLS = ["circle", "triangle", "rect", "diamond", "emptyCircle"] as const;

function xmlEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Throws when an SVG could run or fetch anything (its CSP forbids it too: this is a second lock). */
function assertInert(svg: string): void {
  if (/<script|<foreignObject|\son[a-z]+\s*=|javascript:|(?:href|src)\s*=\s*["'](?!#)|url\(\s*["']?(?!#)/i.test(svg)) {
    throw new Error("a chart's SVG holds something active or external");
  }
}

/** One chart of a dashboard as an SVG document (complete, with its XML declaration). */
export async function chartSvg(spec: ChartSpec, dashboard: Dashboard, theme: ChartTheme = "clair"): Promise<string> {
  const echarts = await loadEcharts();
  const palette = PALETTES[theme];
  const labels = dashboard.buckets.map((b) => t.axisLabel(b, dashboard.range));
  const stacked = spec.kind === "stacked-bars";
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width: CHART_WIDTH, height: CHART_HEIGHT });
  try {
    chart.setOption({
      animation: false,
      backgroundColor: palette.background,
      color: [...palette.series],
      textStyle: { color: palette.text, fontFamily: "system-ui, sans-serif", fontSize: 13 },
      // Bar patterns, so that stacked bars differ by more than their colour.
      aria: { enabled: true, decal: { show: stacked } },
      legend: {
        top: 4,
        left: "center",
        selectedMode: false,
        itemGap: 16,
        textStyle: { color: palette.text, fontSize: 13 },
      },
      grid: { left: 12, right: 20, top: 72, bottom: 12, outerBoundsMode: "same", outerBoundsContain: "axisLabel" },
      xAxis: {
        type: "category",
        data: labels,
        axisLine: { lineStyle: { color: palette.axis } },
        axisTick: { alignWithLabel: true, lineStyle: { color: palette.axis } },
        axisLabel: { color: palette.text, hideOverlap: true },
      },
      yAxis: {
        type: "value",
        minInterval: 1,
        axisLine: { show: true, lineStyle: { color: palette.axis } },
        axisLabel: { color: palette.text },
        splitLine: { lineStyle: { color: palette.guide } },
      },
      series: spec.series.map((s, i) => {
        const data = dashboard.values[s.key].map((v) => v);
        if (stacked) {
          return {
            name: s.label,
            type: "bar",
            stack: "total",
            silent: true,
            data,
            itemStyle: { borderColor: palette.background, borderWidth: 1, decal: { color: palette.pattern } },
          };
        }
        return {
          name: s.label,
          type: "line",
          silent: true,
          data,
          symbol: SYMBOLS[i % SYMBOLS.length],
          symbolSize: 7,
          lineStyle: { width: 2, type: LINE_TYPES[i % LINE_TYPES.length] },
        };
      }),
    });
    const svg = chart.renderToSVGString({ useViewBox: true });
    const title = `<title>${xmlEscape(`${spec.title}, ${t.rangePhrase[dashboard.range]}`)}</title>`;
    const document = `<?xml version="1.0" encoding="UTF-8"?>\n${svg.replace(/^<svg\b([^>]*)>/, `<svg$1 role="img">${title}`)}`;
    assertInert(document);
    return document;
  } finally {
    // Disposing also stops ECharts' timers (an undisposed chart keeps the process alive).
    chart.dispose();
  }
}

/** The headers of a chart's response: its own CSP (inline styles only), never sniffed, never stored. */
export const CHART_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "image/svg+xml; charset=utf-8",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "cross-origin-resource-policy": "same-origin",
  "cache-control": "no-store",
};

/**
 * The reply to `GET /console/admin/graphiques/:name.svg?periode=…&theme=…`: the SVG and its headers,
 * or null for a chart that does not exist (404). An unknown theme is the light one.
 */
export async function renderChart(
  name: string,
  dashboard: Dashboard,
  theme?: string,
): Promise<{ body: string; headers: Readonly<Record<string, string>> } | null> {
  if (!isChartName(name)) return null;
  const chosen: ChartTheme = theme === "sombre" ? "sombre" : "clair";
  return { body: await chartSvg(CHARTS[name], dashboard, chosen), headers: CHART_HEADERS };
}

/** The URL of a chart (the view's default `chartUrl`; the route reads `periode` and `theme`). */
export function consoleChartPath(name: ChartName, range: Dashboard["range"], theme: ChartTheme): string {
  return `/console/admin/graphiques/${name}.svg?periode=${range}${theme === "sombre" ? "&theme=sombre" : ""}`;
}
