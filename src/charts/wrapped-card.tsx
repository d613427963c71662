/**
 * Statsig Wrapped, the picture: the year's numbers (from wrapped-data.ts, already redacted when
 * asked) as JSX, laid out by satori into SVG with the shipped DejaVu fonts; render.ts turns it
 * into PNG. Two sizes: a 1200x630 card (link previews) and a 1080x1920 story (phones).
 *
 * The SVG carries a <title> and a <desc> with the same text as the picture (satori draws glyphs
 * as paths, so without them a screen reader, or a redaction check, would see no text at all).
 */
import type { ReactElement, ReactNode } from 'react';
import { fontData, svgToPng } from './render.js';
import type { WrappedAward, WrappedData } from './wrapped-data.js';
import { oneLineSafe } from '../core/sanitize.js';
import { int, pct, share } from '../ui/format.js';

export type WrappedSize = 'card' | 'story';

export const WRAPPED_SIZES: Record<WrappedSize, { width: number; height: number }> = {
  card: { width: 1200, height: 630 },
  story: { width: 1080, height: 1920 },
};

/** The card's colours; BACKGROUND fills the whole picture (tests sample it in the corners). */
export const WRAPPED_COLORS = {
  background: '#0f172a',
  tile: '#1e293b',
  text: '#f8fafc',
  muted: '#94a3b8',
  accents: ['#22d3ee', '#a78bfa', '#f472b6', '#facc15', '#4ade80'],
} as const;

const accent = (i: number): string => WRAPPED_COLORS.accents[i % WRAPPED_COLORS.accents.length] as string;

/** Large counts in few characters: 950, 12,400, 1.2M. */
export function compact(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  if (Math.abs(n) < 100_000) return int(n);
  if (Math.abs(n) < 1e9) return `${(n / 1e6).toFixed(Math.abs(n) < 1e7 ? 2 : 1).replace(/\.?0+$/, '')}M`;
  return `${(n / 1e9).toFixed(1).replace(/\.0$/, '')}B`;
}

/** A name from the store, safe and short enough for one line of the picture. */
const label = (s: string, max = 40): string => oneLineSafe(s, max);

interface Stat {
  value: string;
  label: string;
  sub?: string;
}

/** The five headline numbers, as the card shows them. */
export function wrappedStats(d: WrappedData): Stat[] {
  return [
    { value: compact(d.experiments_run), label: d.experiments_run === 1 ? 'experiment run' : 'experiments run' },
    { value: compact(d.wins), label: d.wins === 1 ? 'win' : 'wins', sub: `${int(d.shipped_wins)} shipped` },
    { value: compact(d.units), label: 'units experimented on' },
    { value: compact(d.metrics_moved), label: d.metrics_moved === 1 ? 'metric moved' : 'metrics moved' },
    { value: compact(d.cupac.days_saved), label: 'days saved by CUPAC' },
  ];
}

function awardValue(a: WrappedAward): string {
  if (a.value === null) return 'value hidden';
  switch (a.unit) {
    case 'share':
      return `${share(a.value)} less variance`;
    case 'groups':
      return `${int(a.value)} groups`;
    case 'days':
      return `${int(a.value)} days`;
    case 'units':
      return `${compact(a.value)} units`;
  }
}

/** An award's lines under its title: the experiment, the metric (Variance Slayer), the figure. */
function awardLines(a: WrappedAward): string[] {
  return [label(a.experiment, 30), ...(a.metric === null ? [] : [label(a.metric, 30)]), awardValue(a)];
}

/** Every line of text the picture shows, in reading order (also the SVG's <desc>). */
export function wrappedText(d: WrappedData): string[] {
  const lines = [`Statsig Wrapped ${d.year}`];
  if (d.project) lines.push(label(d.project, 60));
  for (const s of wrappedStats(d)) lines.push(`${s.value} ${s.label}${s.sub ? ` (${s.sub})` : ''}`);
  lines.push(...liftText(d));
  for (const a of d.awards) lines.push(`${a.title}: ${awardLines(a).join(', ')}`);
  return lines;
}

function liftText(d: WrappedData): string[] {
  const l = d.biggest_lift;
  if (!l) return ['Biggest lift: no winning result this year'];
  const value = l.rel_lift === null ? 'a significant win' : pct(l.rel_lift);
  return [`Biggest lift: ${value}`, `${label(l.metric, 30)} in ${label(l.experiment, 30)} (${label(l.variant, 20)})`];
}

const flex = (style: Record<string, unknown> = {}): Record<string, unknown> => ({ display: 'flex', ...style });

function Tile(props: { children: ReactNode; style?: Record<string, unknown> }): ReactElement {
  return <div style={flex({ backgroundColor: WRAPPED_COLORS.tile, borderRadius: 20, flexDirection: 'column', ...props.style })}>{props.children}</div>;
}

function StatTile(props: { stat: Stat; i: number; big: boolean }): ReactElement {
  const { stat, i, big } = props;
  return (
    <Tile style={{ flex: 1, minWidth: 0, padding: big ? '28px 32px' : '20px 18px', justifyContent: 'space-between' }}>
      <div style={flex({ fontSize: big ? 76 : 46, fontWeight: 700, color: accent(i), lineHeight: 1 })}>{stat.value}</div>
      <div style={flex({ flexDirection: 'column', marginTop: 10 })}>
        <div style={flex({ fontSize: big ? 34 : 18, color: WRAPPED_COLORS.text })}>{stat.label}</div>
        {stat.sub ? <div style={flex({ fontSize: big ? 26 : 15, color: WRAPPED_COLORS.muted, marginTop: 4 })}>{stat.sub}</div> : null}
      </div>
    </Tile>
  );
}

function LiftTile(props: { d: WrappedData; big: boolean }): ReactElement {
  const { d, big } = props;
  const [head, detail] = liftText(d);
  const l = d.biggest_lift;
  const value = l === null ? 'none yet' : l.rel_lift === null ? 'win' : pct(l.rel_lift);
  return (
    <Tile style={{ flex: big ? undefined : 1, padding: big ? '36px 40px' : '24px 28px', justifyContent: 'center' }}>
      <div style={flex({ fontSize: big ? 30 : 18, color: WRAPPED_COLORS.muted, textTransform: 'uppercase', letterSpacing: 2 })}>Biggest lift</div>
      <div style={flex({ fontSize: big ? 120 : 72, fontWeight: 700, color: accent(4), lineHeight: 1.1 })}>{value}</div>
      <div style={flex({ fontSize: big ? 32 : 20, color: WRAPPED_COLORS.text, marginTop: 8 })}>{l === null ? (head ?? '').replace(/^Biggest lift: /, '') : (detail ?? '')}</div>
    </Tile>
  );
}

function AwardTile(props: { a: WrappedAward; i: number; big: boolean }): ReactElement {
  const { a, i, big } = props;
  const lines = awardLines(a);
  return (
    <Tile style={{ padding: big ? '24px 30px' : '14px 18px', flex: 1, minWidth: 0 }}>
      <div style={flex({ fontSize: big ? 32 : 19, fontWeight: 700, color: accent(i + 1) })}>{a.title}</div>
      {lines.map((line, k) => (
        <div key={k} style={flex({ fontSize: big ? (k === lines.length - 1 ? 24 : 26) : k === lines.length - 1 ? 14 : 16, color: k === lines.length - 1 ? WRAPPED_COLORS.muted : WRAPPED_COLORS.text, marginTop: big ? 6 : 3 })}>
          {line}
        </div>
      ))}
    </Tile>
  );
}

/** Awards two by two. */
function AwardGrid(props: { d: WrappedData; big: boolean; gap: number }): ReactElement {
  const { d, big, gap } = props;
  const rows = [d.awards.slice(0, 2), d.awards.slice(2, 4)].filter((r) => r.length > 0);
  return (
    <div style={flex({ flex: 1, flexDirection: 'column', gap, minWidth: 0 })}>
      {rows.map((row, r) => (
        <div key={r} style={flex({ flex: 1, gap })}>
          {row.map((a, k) => (
            <AwardTile key={a.id} a={a} i={r * 2 + k} big={big} />
          ))}
          {row.length === 1 ? <div style={flex({ flex: 1 })} /> : null}
        </div>
      ))}
    </div>
  );
}

function Header(props: { d: WrappedData; big: boolean }): ReactElement {
  const { d, big } = props;
  return (
    <div style={flex({ flexDirection: 'column' })}>
      <div style={flex({ fontSize: big ? 34 : 20, color: accent(0), letterSpacing: 4, textTransform: 'uppercase', fontWeight: 700 })}>Statsig Wrapped</div>
      <div style={flex({ alignItems: 'baseline' })}>
        <div style={flex({ fontSize: big ? 130 : 56, fontWeight: 700, color: WRAPPED_COLORS.text, lineHeight: 1.05 })}>{String(d.year)}</div>
        {d.project && !big ? <div style={flex({ fontSize: 24, color: WRAPPED_COLORS.muted, marginLeft: 20 })}>{label(d.project, 50)}</div> : null}
      </div>
      {d.project && big ? <div style={flex({ fontSize: 40, color: WRAPPED_COLORS.muted })}>{label(d.project, 36)}</div> : null}
    </div>
  );
}

function Card(props: { d: WrappedData }): ReactElement {
  const { d } = props;
  const stats = wrappedStats(d);
  return (
    <div style={flex({ width: 1200, height: 630, boxSizing: 'border-box', flexDirection: 'column', backgroundColor: WRAPPED_COLORS.background, padding: 40, fontFamily: 'DejaVu Sans', color: WRAPPED_COLORS.text })}>
      <Header d={d} big={false} />
      <div style={flex({ marginTop: 20, gap: 14, height: 170 })}>
        {stats.map((s, i) => (
          <StatTile key={s.label} stat={s} i={i} big={false} />
        ))}
      </div>
      <div style={flex({ marginTop: 14, gap: 14, flex: 1 })}>
        <div style={flex({ width: 420 })}>
          <LiftTile d={d} big={false} />
        </div>
        <AwardGrid d={d} big={false} gap={14} />
      </div>
    </div>
  );
}

function Story(props: { d: WrappedData }): ReactElement {
  const { d } = props;
  const stats = wrappedStats(d);
  return (
    <div style={flex({ width: 1080, height: 1920, boxSizing: 'border-box', flexDirection: 'column', backgroundColor: WRAPPED_COLORS.background, padding: '80px 64px', fontFamily: 'DejaVu Sans', color: WRAPPED_COLORS.text })}>
      <Header d={d} big={true} />
      <div style={flex({ marginTop: 48, flexDirection: 'column', gap: 20 })}>
        {[stats.slice(0, 2), stats.slice(2, 4)].map((row, r) => (
          <div key={r} style={flex({ gap: 20, height: 200 })}>
            {row.map((s, i) => (
              <StatTile key={s.label} stat={s} i={r * 2 + i} big={true} />
            ))}
          </div>
        ))}
        {stats[4] ? (
          <div style={flex({ height: 170 })}>
            <StatTile stat={stats[4]} i={4} big={true} />
          </div>
        ) : null}
      </div>
      <div style={flex({ marginTop: 20, flexDirection: 'column' })}>
        <LiftTile d={d} big={true} />
      </div>
      <div style={flex({ marginTop: 20, flex: 1 })}>
        <AwardGrid d={d} big={true} gap={20} />
      </div>
      <div style={flex({ marginTop: 24, fontSize: 24, color: WRAPPED_COLORS.muted, justifyContent: 'center' })}>made with statsig-hack wrapped</div>
    </div>
  );
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

/** The card or the story as SVG (satori, shipped fonts), with a <title> and <desc> of its text. */
export async function wrappedSvg(d: WrappedData, size: WrappedSize = 'card'): Promise<string> {
  const { default: satori } = await import('satori');
  const { width, height } = WRAPPED_SIZES[size];
  const element = size === 'card' ? <Card d={d} /> : <Story d={d} />;
  const svg = await satori(element, { width, height, fonts: fontData() });
  const [title, ...rest] = wrappedText(d);
  const meta = `<title>${escapeXml(title ?? '')}</title><desc>${escapeXml(rest.join('\n'))}</desc>`;
  return svg.replace(/^<svg[^>]*>/, (open) => open + meta);
}

/** The card or the story as PNG of exactly its size. */
export async function wrappedPng(d: WrappedData, size: WrappedSize = 'card'): Promise<Buffer> {
  return svgToPng(await wrappedSvg(d, size), { background: WRAPPED_COLORS.background });
}
