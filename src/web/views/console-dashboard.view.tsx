/**
 * The administration dashboard (`/console/admin`): the period's links, then each chart as an image
 * (a separate SVG document, console-charts.ts: light or dark after the reader's colour scheme) with
 * a short text alternative, and its data as a table (RGAA 1.8: a complex image has a detailed
 * alternative beside it) behind « Voir les données ».
 */
import { type Dashboard, STATS_RANGES, type StatsRange, seriesAggregate } from "../../console/stats.types.js";
import {
  CHART_HEIGHT,
  CHART_NAMES,
  CHART_WIDTH,
  CHARTS,
  type ChartName,
  type ChartSpec,
  type ChartTheme,
  consoleChartPath,
} from "../console-charts.js";
import { consoleStatsFr } from "../i18n/console-stats.fr.js";

const t = consoleStatsFr;

export interface DashboardSectionProps {
  readonly dashboard: Dashboard;
  /** The period shown (the dashboard's own). */
  readonly range: StatsRange;
  /** A chart's URL for a colour scheme (by default `/console/admin/graphiques/<name>.svg?periode=…`). */
  readonly chartUrl?: (name: ChartName, theme: ChartTheme) => string;
  /** A period's link (by default `?periode=…` on the same page). */
  readonly rangeUrl?: (range: StatsRange) => string;
}

/** A series over the period: the total of a count, the highest sample of the queue's depth (null: none). */
function overall(spec: ChartSpec, dashboard: Dashboard) {
  return spec.series.map((s) => {
    const values = dashboard.values[s.key];
    const measured = values.filter((v): v is number => v !== null);
    const value =
      seriesAggregate(s.key) === "max"
        ? measured.length === 0
          ? null
          : Math.max(...measured)
        : measured.reduce((a, b) => a + b, 0);
    return { label: s.label, value, max: seriesAggregate(s.key) === "max" };
  });
}

function cell(value: number | null): string {
  return value === null ? t.notMeasured : t.number(value);
}

/** The period's total of each series (the highest sample for the queue's depth), in words. */
export function chartTotals(spec: ChartSpec, dashboard: Dashboard): string {
  const parts = overall(spec, dashboard);
  return parts.length === 1 && parts[0]?.max ? t.highestOf(parts[0].value) : t.totalOf(parts);
}

function ChartBlock({
  spec,
  dashboard,
  chartUrl,
}: {
  spec: ChartSpec;
  dashboard: Dashboard;
  chartUrl: (name: ChartName, theme: ChartTheme) => string;
}) {
  const headingId = `graphique-${spec.name}`;
  const parts = overall(spec, dashboard);
  return (
    <section aria-labelledby={headingId} class="console-chart-block">
      <h3 id={headingId}>{spec.title}</h3>
      <p>
        {spec.summary} {chartTotals(spec, dashboard)}
      </p>
      <picture>
        <source media="(prefers-color-scheme: dark)" srcset={chartUrl(spec.name, "sombre")} />
        <img
          src={chartUrl(spec.name, "clair")}
          alt={t.alt(spec.title, dashboard.range)}
          width={CHART_WIDTH}
          height={CHART_HEIGHT}
          class="console-chart"
        />
      </picture>
      <details class="console-chart-data">
        <summary>
          {t.showData}
          <span class="visually-hidden"> : {spec.title}</span>
        </summary>
        <table>
          <caption>{t.caption(spec.title, dashboard.range)}</caption>
          <thead>
            <tr>
              <th scope="col">{dashboard.step === "hour" ? t.hourColumn : t.dayColumn}</th>
              {spec.series.map((s) => (
                <th scope="col" key={s.key}>
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {dashboard.buckets.map((bucket, i) => (
              <tr key={bucket.start}>
                <th scope="row">{t.rowLabel(bucket, dashboard.range)}</th>
                {spec.series.map((s) => (
                  <td key={s.key}>{cell(dashboard.values[s.key][i] ?? null)}</td>
                ))}
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">{parts.every((p) => p.max) ? t.highest : t.total}</th>
              {parts.map((p) => (
                <td key={p.label}>{cell(p.value)}</td>
              ))}
            </tr>
          </tfoot>
        </table>
      </details>
    </section>
  );
}

/** The dashboard's section of `/console/admin`. */
export function DashboardSection({
  dashboard,
  range,
  chartUrl = (name, theme) => consoleChartPath(name, range, theme),
  rangeUrl = (r) => `?periode=${r}`,
}: DashboardSectionProps) {
  return (
    <section aria-labelledby="tableau-de-bord" class="console-dashboard">
      <h2 id="tableau-de-bord">{t.title}</h2>
      <p>{t.intro}</p>
      <nav aria-label={t.rangeNav}>
        <ul class="console-ranges">
          {STATS_RANGES.map((r) => (
            <li key={r}>
              <a href={rangeUrl(r)} aria-current={r === range ? "page" : undefined}>
                {t.ranges[r]}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {CHART_NAMES.map((name) => (
        <ChartBlock key={name} spec={CHARTS[name]} dashboard={dashboard} chartUrl={chartUrl} />
      ))}
    </section>
  );
}
