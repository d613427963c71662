/** Plain-text rendering of a whatchanged result: headline, ranked dimension tables, 2-D cells, percentiles, summary. */
import type { CellResult, DimensionResult, SegmentResult, WhatChangedResult } from '../engines/whatchanged/index.js';
import { fmt, pct } from '../stats/whatchanged/summary.js';
import { PLAIN, wrap, type Target } from './format.js';
import { fitTable, hiddenNote, renderTable } from './table.js';

/** Hidden first when a table must fit: the q-value (the * column still says which are significant), units, then mix and rate together. */
const SEGMENT_DROP = ['q', 'units', 'events', ['mix', 'rate']];
const CELL_DROP = ['q', ['mix', 'rate']];

function signed(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '';
  return x > 0 ? `+${fmt(x)}` : fmt(x);
}

function signedPct(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '';
  return x > 0 ? `+${pct(x)}` : pct(x);
}

function pv(p: number | null): string {
  if (p === null) return '';
  if (p < 0.001) return '<0.001';
  return p.toFixed(3);
}

const RIGHT = (cols: string[]): Record<string, 'right'> => Object.fromEntries(cols.map((c) => [c, 'right' as const]));

function segmentRows(segs: SegmentResult[], mean: boolean): Record<string, unknown>[] {
  return segs.map((s) => ({
    value: s.value,
    baseline: fmt(s.baseline),
    current: fmt(s.current),
    delta: signed(s.delta),
    change: signedPct(s.rel_delta),
    [mean ? 'events' : 'units']: `${fmt(s.baseline_size)} → ${fmt(s.current_size)}`,
    contrib: pct(s.contribution, 0),
    mix: signed(s.mix),
    rate: signed(s.rate),
    q: pv(s.q_value),
    sig: s.significant ? '*' : '',
  }));
}

function renderDimension(d: DimensionResult, r: WhatChangedResult, width: number | undefined, hidden: Set<string>): string {
  const mean = r.agg === 'mean';
  const ep = d.explanatory_power !== null ? `, explains ${pct(d.explanatory_power, 0)}${d.explains ? '' : ', short of the explanatory threshold'}` : '';
  const head = `${d.rank}. ${d.dimension}  (score ${fmt(d.score)}${ep}; mix ${signed(d.mix)}, rate ${signed(d.rate)}${d.capped ? `; ${d.values.toLocaleString('en-US')} values, capped` : ''})`;
  const shown = d.segments.slice(0, r.settings.top);
  const cols = ['value', 'baseline', 'current', 'delta', 'change', mean ? 'events' : 'units', 'contrib', 'mix', 'rate', 'q', 'sig'];
  const table = fitTable(cols, segmentRows(shown, mean), { align: RIGHT(cols.filter((c) => c !== 'value' && c !== 'sig')), width, drop: SEGMENT_DROP, shrink: ['value'] });
  for (const h of table.hidden) hidden.add(h);
  const more = d.segments.length > shown.length ? `\n  … ${d.segments.length - shown.length} more value${d.segments.length - shown.length > 1 ? 's' : ''} (--top ${d.segments.length} shows them)` : '';
  return `${wrap(head, width, '    ')}\n${table.text}${more}`;
}

function renderCells(cells: CellResult[], width: number | undefined, hidden: Set<string>): string {
  const rows = cells.map((c) => ({
    cell: Object.entries(c.dimensions)
      .map(([k, v]) => `${k}=${v}`)
      .join(' & '),
    baseline: fmt(c.baseline),
    current: fmt(c.current),
    delta: signed(c.delta),
    contrib: pct(c.contribution, 0),
    mix: signed(c.mix),
    rate: signed(c.rate),
    q: pv(c.q_value),
    sig: c.significant ? '*' : '',
  }));
  const cols = ['cell', 'baseline', 'current', 'delta', 'contrib', 'mix', 'rate', 'q', 'sig'];
  const table = fitTable(cols, rows, { align: RIGHT(cols.filter((c) => c !== 'cell' && c !== 'sig')), maxCellWidth: 80, width, drop: CELL_DROP, shrink: ['cell'] });
  for (const h of table.hidden) hidden.add(h);
  return table.text;
}

/**
 * Whether the tables explain anything: the change is beyond day-to-day noise (or that could not be
 * tested), or some segment or cell changed significantly. Otherwise the verdict is the answer.
 */
export function hasSomethingToExplain(r: WhatChangedResult): boolean {
  if (r.headline.beyond_noise !== false) return true;
  return r.dimensions.some((d) => d.segments.some((s) => s.significant)) || r.cells.some((c) => c.significant);
}

export interface RenderWhatChangedOptions {
  /** Print the dimension and cell tables even when there is nothing to explain (--all). */
  all?: boolean;
  /** Where the text goes: prose is word-wrapped and tables fit its width (default: no limit). */
  target?: Target;
}

/**
 * The verdict first (the summary), then the headline and the day-to-day check, then the tables
 * that explain the change: only when there is something to explain, or when asked.
 */
export function renderWhatChanged(r: WhatChangedResult, options: RenderWhatChangedOptions = {}): string {
  const h = r.headline;
  const width = (options.target ?? PLAIN).width;
  const hidden = new Set<string>();
  const out: string[] = [];
  // Prose is wrapped at word boundaries; tables fit the width on their own.
  const say = (text: string, indent = '  '): void => {
    out.push(wrap(text, width, indent));
  };
  say(r.summary, '');
  out.push('');
  const aggText = r.agg === 'mean' ? 'mean per event' : r.agg === 'sum' ? 'sum' : 'count';
  const src = r.source === 'store' ? (r.event && r.event !== r.metric ? `event ${r.event}` : 'project store') : r.source;
  say(`${r.metric} (${aggText}, ${src}): baseline ${r.periods.baseline.label} vs current ${r.periods.current.label}`);
  const headCols = ['', 'baseline', 'current', 'delta', 'change'];
  const headRows: Record<string, unknown>[] = [
    { '': r.metric, baseline: fmt(h.baseline), current: fmt(h.current), delta: signed(h.delta), change: signedPct(h.rel_delta) },
    { '': 'units', baseline: fmt(h.baseline_units), current: fmt(h.current_units), delta: signed(h.current_units - h.baseline_units), change: '' },
  ];
  if (r.agg !== 'count') headRows.push({ '': 'events', baseline: fmt(h.baseline_events), current: fmt(h.current_events), delta: signed(h.current_events - h.baseline_events), change: '' });
  out.push(renderTable(headCols, headRows, { align: RIGHT(['baseline', 'current', 'delta', 'change']), width }));
  if (h.scale !== 1) say(`(baseline totals scaled ×${fmt(h.scale)} to the current period's length)`);
  if (h.noise) {
    const n = h.noise;
    const verdict = h.beyond_noise === null ? 'no test possible' : h.beyond_noise ? 'beyond normal day-to-day noise' : 'within normal day-to-day noise';
    say(
      `day-to-day: daily ${fmt(n.baseline_daily_mean)} → ${fmt(n.current_daily_mean)} (sd ${fmt(n.baseline_daily_sd)} / ${fmt(n.current_daily_sd)} over ${n.baseline_days} / ${n.current_days} days), Welch p ${pv(n.p_value) || 'n/a'}: ${verdict}`,
    );
  } else {
    say('day-to-day: too few days in a period to compare with day-to-day noise');
  }
  const explain = options.all === true || hasSomethingToExplain(r);
  if (explain && r.dimensions.length > 0) {
    out.push('');
    say(
      `Dimensions, ranked by how well they explain the change (Adtributor): first those whose segments explain most of the change, then the rest, each by score. contrib = share of the change; mix = from segment size, rate = from behaviour per ${r.agg === 'mean' ? 'event' : 'unit'}; * = significant against unit-to-unit variation between the periods (Benjamini-Hochberg q ≤ ${r.settings.alpha}; day-to-day swings are not in this test).`,
    );
    for (const d of r.dimensions) {
      out.push('');
      out.push(renderDimension(d, r, width, hidden));
    }
  }
  if (explain && r.cells.length > 0) {
    out.push('');
    out.push('Two-dimension cells that carry the change:');
    out.push(renderCells(r.cells, width, hidden));
  }
  const note = hiddenNote([...hidden], width);
  if (note) out.push('', note);
  if (!explain && (r.dimensions.length > 0 || r.cells.length > 0)) {
    out.push('');
    say(`(${r.dimensions.length} dimension table${r.dimensions.length === 1 ? '' : 's'} not shown: nothing moved beyond noise and no segment changed significantly; --all shows them)`);
  }
  if (r.percentiles) {
    out.push('');
    out.push(`Per-unit ${r.metric}${r.agg === 'mean' ? ' (mean per unit)' : ''} by percentile:`);
    const cols = ['percentile', 'baseline', 'current', 'delta', 'change'];
    out.push(
      renderTable(
        cols,
        r.percentiles.map((p) => ({ percentile: `p${Math.round(p.p * 100)}`, baseline: fmt(p.baseline), current: fmt(p.current), delta: signed(p.delta), change: signedPct(p.rel_delta) })),
        { align: RIGHT(cols), width },
      ),
    );
  }
  return out.join('\n');
}
