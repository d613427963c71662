/**
 * The TTY progress view, drawn with ink on stderr: a spinner with the elapsed time, plus a bar,
 * the real counts and an estimate of the time left when the total is known. A step without a
 * total shows only what it knows (no stray "0").
 */
import React, { useEffect, useState } from 'react';
import { Box, Text, render, type Instance } from 'ink';
import type { Progress } from '../core/progress.js';
import type { Writable } from '../core/output.js';
import { cut, duration, progressCount } from './format.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const BAR = 24;

export interface ProgressParts {
  label: string;
  /** Filled and empty cells of the bar; 0 and 0 when there is none. */
  filled: number;
  empty: number;
  /** "1,200/20,000 (6%)", "1,200" (no total, some done) or "" (nothing to count). */
  count: string;
  /** "12s", "12s, ~40s left". */
  time: string;
}

/** What one progress line shows, fitted to `width` columns (the spinner and gaps included). */
export function progressParts(p: { label: string; done: number; total?: number | undefined; elapsedMs: number; width?: number | undefined }): ProgressParts {
  const hasTotal = p.total !== undefined && p.total > 0;
  const count = hasTotal || p.done > 0 ? progressCount(p.done, hasTotal ? p.total : undefined) : '';
  const width = p.width ?? 100;
  let time = duration(p.elapsedMs);
  // "⠋ " + label + " " + bar + " " + count + "  " + time
  const fixedOf = (t: string): number => 2 + 1 + (count ? count.length + 1 : 0) + 1 + t.length;
  if (hasTotal && p.done > 0 && p.done < (p.total as number) && p.elapsedMs >= 3000) {
    const withEta = `${time}, ~${duration((p.elapsedMs * ((p.total as number) - p.done)) / p.done)} left`;
    if (fixedOf(withEta) + 8 <= width) time = withEta;
  }
  const fixed = fixedOf(time);
  let label = p.label;
  let bar = hasTotal ? BAR : 0;
  if (fixed + label.length + bar + 1 > width) bar = Math.max(0, width - fixed - label.length - 1);
  if (bar < 8) bar = 0;
  if (fixed + label.length + (bar ? bar + 1 : 0) > width) label = cut(label, Math.max(8, width - fixed));
  const filled = bar && hasTotal ? Math.min(bar, Math.round((p.done / (p.total as number)) * bar)) : 0;
  return { label, filled, empty: bar - filled, count, time };
}

export interface ProgressViewProps {
  label: string;
  done: number;
  total?: number | undefined;
  finished?: string | undefined;
  /** The step ended in an error: the final line has a ✗, not a ✓. */
  failed?: boolean | undefined;
  /** When the step started (ms since the epoch); the view shows the time since. */
  startedAt?: number | undefined;
  now?: (() => number) | undefined;
  width?: number | undefined;
}

export function ProgressView({ label, done, total, finished, failed, startedAt, now = Date.now, width }: ProgressViewProps): React.ReactElement {
  const [frame, setFrame] = useState(0);
  useEffect(() => {
    if (finished) return undefined;
    const timer = setInterval(() => setFrame((f) => (f + 1) % FRAMES.length), 80);
    return () => clearInterval(timer);
  }, [finished]);
  const elapsedMs = startedAt === undefined ? 0 : now() - startedAt;
  if (finished) {
    return failed ? <Text color="red">✗ {finished} <Text dimColor>({duration(elapsedMs)})</Text></Text> : <Text color="green">✓ {finished} <Text dimColor>({duration(elapsedMs)})</Text></Text>;
  }
  const parts = progressParts({ label, done, total, elapsedMs, width });
  return (
    <Box>
      <Text color="cyan">{FRAMES[frame]} </Text>
      <Text>{parts.label} </Text>
      {parts.filled + parts.empty > 0 ? <Text color="cyan">{'█'.repeat(parts.filled) + '░'.repeat(parts.empty)} </Text> : null}
      {parts.count ? <Text>{parts.count} </Text> : null}
      <Text dimColor> {parts.time}</Text>
    </Box>
  );
}

export class InkProgress implements Progress {
  private instance: Instance | undefined;
  private props: ProgressViewProps = { label: '', done: 0 };

  constructor(private readonly stream: Writable) {}

  private draw(): void {
    const el = <ProgressView {...this.props} width={this.stream.columns} />;
    if (this.instance) this.instance.rerender(el);
    else this.instance = render(el, { stdout: this.stream as NodeJS.WriteStream, patchConsole: false, exitOnCtrlC: false });
  }

  start(label: string, total?: number, options: { keepTime?: boolean } = {}): void {
    const startedAt = options.keepTime && this.props.startedAt !== undefined && !this.props.finished ? this.props.startedAt : Date.now();
    this.props = { label, done: 0, total, startedAt };
    this.draw();
  }

  update(done: number, total?: number): void {
    this.props = { ...this.props, done, total: total ?? this.props.total };
    this.draw();
  }

  stop(message?: string, options: { failed?: boolean } = {}): void {
    this.props = { ...this.props, finished: message ?? `${this.props.label}: done`, failed: options.failed };
    this.draw();
    this.instance?.unmount();
    this.instance = undefined;
  }
}
