/** The TTY progress view: a spinner, or a bar when the total is known. Drawn with ink on stderr. */
import React, { useEffect, useState } from 'react';
import { Box, Text, render, type Instance } from 'ink';
import type { Progress } from '../core/progress.js';
import { formatCount } from '../core/progress.js';
import type { Writable } from '../core/output.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface ProgressViewProps {
  label: string;
  done: number;
  total?: number | undefined;
  finished?: string | undefined;
}

export function ProgressView({ label, done, total, finished }: ProgressViewProps): React.ReactElement {
  const [frame, setFrame] = useState(0);
  useEffect(() => {
    if (finished) return undefined;
    const timer = setInterval(() => setFrame((f) => (f + 1) % FRAMES.length), 80);
    return () => clearInterval(timer);
  }, [finished]);
  if (finished) {
    return <Text color="green">✓ {finished}</Text>;
  }
  const width = 24;
  const filled = total && total > 0 ? Math.min(width, Math.round((done / total) * width)) : 0;
  return (
    <Box>
      <Text color="cyan">{FRAMES[frame]} </Text>
      <Text>{label} </Text>
      {total ? <Text color="cyan">{'█'.repeat(filled) + '░'.repeat(width - filled)} </Text> : null}
      <Text dimColor>{formatCount(done, total)}</Text>
    </Box>
  );
}

export class InkProgress implements Progress {
  private instance: Instance | undefined;
  private props: ProgressViewProps = { label: '', done: 0 };

  constructor(private readonly stream: Writable) {}

  private draw(): void {
    const el = <ProgressView {...this.props} />;
    if (this.instance) this.instance.rerender(el);
    else this.instance = render(el, { stdout: this.stream as NodeJS.WriteStream, patchConsole: false, exitOnCtrlC: false });
  }

  start(label: string, total?: number): void {
    this.props = { label, done: 0, total };
    this.draw();
  }

  update(done: number, total?: number): void {
    this.props = { ...this.props, done, total: total ?? this.props.total };
    this.draw();
  }

  stop(message?: string): void {
    this.props = { ...this.props, finished: message ?? `${this.props.label}: done` };
    this.draw();
    this.instance?.unmount();
    this.instance = undefined;
  }
}
