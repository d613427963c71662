/** Human rendering of the demo: each estimate next to the planted truth. */
import type { DemoResult } from '../demo/run.js';
import { num, pct, pval } from './analyze.js';
import { renderTable } from './table.js';

export function renderDemo(d: DemoResult): string {
  const lines: string[] = [];
  lines.push(`${d.project.name}: ${d.counts.users.toLocaleString('en-US')} users, ${d.counts.events.toLocaleString('en-US')} events, ${d.counts.experiments} experiments, ${d.counts.metrics} metrics (${d.window.pre_start} .. ${d.window.end})`);
  lines.push(`Store: ${d.db}`);
  lines.push('');
  lines.push(
    renderTable(
      ['experiment', 'metric', 'variant', 'estimate', '95% CI', 'lift', 'p', 'truth', 'in CI', 'var cut'],
      d.rows.map((r) => ({
        experiment: r.experiment,
        metric: r.metric,
        variant: r.variant,
        estimate: num(r.estimate),
        '95% CI': `${num(r.ci[0])}..${num(r.ci[1])}`,
        lift: pct(r.rel_lift),
        p: pval(r.p_value),
        truth: r.truth === null ? '-' : num(r.truth),
        'in CI': r.covered === null ? '-' : r.covered ? 'yes' : 'NO',
        'var cut': r.variance_reduction === null || r.method === 'none' ? '-' : `${Math.round(r.variance_reduction * 100)}%`,
      })),
      { align: { estimate: 'right', lift: 'right', p: 'right', truth: 'right', 'var cut': 'right' } },
    ),
  );
  lines.push('');
  lines.push(`The planted effect lies inside the 95% CI for ${d.coverage.covered} of ${d.coverage.total} metrics (expect about 95%).`);
  const srmBad = d.srm.filter((s) => s.mismatch);
  lines.push(srmBad.length === 0 ? 'SRM: every experiment matches its configured split.' : `SRM mismatch in ${srmBad.map((s) => s.experiment).join(', ')}.`);
  if (d.anomalies.length > 0) {
    lines.push('', 'Planted anomalies (for forecast and whatchanged):');
    for (const a of d.anomalies) lines.push(`  ${a.start}..${a.end} ${a.description}`);
  }
  if (d.drilldown) {
    const w = d.drilldown.result;
    const top = w.dimensions[0];
    const seg = top?.segments[0];
    lines.push('', `What happened on ${w.periods.current.label}? (planted: ${d.drilldown.anomaly})`);
    const whole = (x: number | null): string => (x === null ? 'n/a' : Math.round(x).toLocaleString('en-US'));
    lines.push(`  ${w.metric}: ${whole(w.headline.baseline)} -> ${whole(w.headline.current)} (${pct(w.headline.rel_delta)}) against ${w.periods.baseline.label}`);
    if (top && seg) lines.push(`  top dimension: ${top.dimension}; ${seg.value} carries ${Math.round((seg.contribution ?? 0) * 100)}% of the change`);
    lines.push(`  ${w.summary}`);
  }
  if (d.forecast && d.forecast.points.length > 0) {
    const f = d.forecast;
    const first = f.points[0];
    const last = f.points[f.points.length - 1];
    const mean = f.points.reduce((a, p) => a + p.yhat, 0) / f.points.length;
    lines.push('', `DAU forecast (${f.model}), next ${f.horizon} days: ${first?.ds}..${last?.ds}, mean ${Math.round(mean).toLocaleString('en-US')} a day (last day ${Math.round(last?.yhat ?? 0).toLocaleString('en-US')}, 80% ${Math.round(last?.yhat_lower ?? 0).toLocaleString('en-US')}..${Math.round(last?.yhat_upper ?? 0).toLocaleString('en-US')})`);
    lines.push(f.anomalies.length > 0 ? `  anomalies in the history: ${f.anomalies.map((a) => `${a.ds} (${Math.round(a.y).toLocaleString('en-US')} vs ${Math.round(a.expected).toLocaleString('en-US')} expected)`).join(', ')}` : '  no anomalies flagged in the history');
  }
  lines.push('', `Next: statsig-hack status --db ${d.db}`, `      statsig-hack analyze --experiment ${d.rows[0]?.experiment ?? '<name>'} --db ${d.db}`);
  return lines.join('\n');
}
