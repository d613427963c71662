/** Human rendering of `interactions`: the pairs, then one row per test (flagged ones first). */
import type { InteractionsResult } from '../engines/interactions-query.js';
import { int, paintOf, pct, pval, sig, wrap, type Target } from './format.js';
import { fitTable, hiddenNote } from './table.js';
import { oneLineSafe } from '../core/sanitize.js';

export function renderInteractions(res: InteractionsResult, target: Target): string {
  const c = paintOf(target);
  const lines: string[] = [];
  const tested = res.tests.filter((t) => t.p_value !== null);
  const flagged = res.tests.filter((t) => t.significant);
  lines.push(
    `Interactions${res.experiment ? ` with ${res.experiment}` : ''}: ${int(res.pairs.length)} overlapping pair${res.pairs.length === 1 ? '' : 's'}, ${int(tested.length)} tests (difference in differences, z-test), Benjamini-Hochberg FDR at ${res.alpha}`,
  );
  if (res.pairs.length === 0) return wrap(`${lines[0]}\nNo two experiments share a unit.`, target.width);
  lines.push(flagged.length > 0 ? c.yellow(`${flagged.length} interaction${flagged.length === 1 ? '' : 's'} found`) : c.green('no interaction found'));
  lines.push('');
  // Experiment, group and metric names come from the store (imported data): shown without control characters.
  const safe = (s: string): string => oneLineSafe(s, 80);
  for (const p of res.pairs) lines.push(`${safe(p.a)} x ${safe(p.b)}: ${int(p.overlap_units)} shared units${p.skipped ? ` (not tested: ${safe(p.skipped)})` : ''}`);
  lines.push('');
  // Compact: every flagged test and the closest calls after them; --json has every test.
  const sorted = [...res.tests].sort((x, y) => Number(y.significant) - Number(x.significant) || (x.p_value ?? 2) - (y.p_value ?? 2));
  const top = sorted.slice(0, Math.max(flagged.length + 5, 10));
  // Grouped under a heading per pair (the pair with the strongest test first), so names are never cut to fit.
  const pairKey = (t: (typeof top)[number]): string => `${t.a}\u0000${t.b}`;
  const order = [...new Set(top.map(pairKey))];
  const shown = [...top].sort((x, y) => order.indexOf(pairKey(x)) - order.indexOf(pairKey(y)));
  const rows = shown
    .map((t) => ({
      pair: `${safe(t.a)} x ${safe(t.b)}`,
      metric: safe(t.metric),
      arms: `${safe(t.variant_a)} x ${safe(t.variant_b)}`,
      [`lift (B ctrl)`]: pct(t.lift_in_control_b),
      [`lift (B arm)`]: pct(t.lift_in_variant_b),
      interaction: sig(t.interaction),
      'p (BH)': pval(t.p_value_bh),
      '': t.significant ? '*' : '',
      _t: t,
    }));
  const table = fitTable(['pair', 'metric', 'arms', 'lift (B ctrl)', 'lift (B arm)', 'interaction', 'p (BH)', ''], rows, {
    groupBy: 'pair',
    align: { 'lift (B ctrl)': 'right', 'lift (B arm)': 'right', interaction: 'right', 'p (BH)': 'right' },
    width: target.width,
    // The arms tell a 3-arm experiment's rows apart: never dropped, cut only after the metric.
    drop: ['interaction'],
    shrink: ['arms', 'metric'],
    paint: (col, row, text) => ((row._t as { significant: boolean }).significant && (col === 'p (BH)' || col === '') ? c.yellow(text) : text),
  });
  lines.push(table.text);
  const note = hiddenNote(table.hidden, target.width);
  if (note) lines.push(c.dim(note));
  if (shown.length < sorted.length) lines.push(c.dim(`${sorted.length - shown.length} more tests, none flagged (--json lists every test)`));
  lines.push('', c.dim("lift (B ctrl) / lift (B arm): A's relative lift among units in B's control / in B's arm; interaction: the difference of A's absolute effects."));
  for (const w of res.warnings) lines.push(`${c.yellow('!')} ${w}`);
  return wrap(lines.join('\n'), target.width);
}
