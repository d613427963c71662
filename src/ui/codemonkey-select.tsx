/**
 * The interactive option picker (ink, TTY only): the options for one file with their risk,
 * and the highlighted option's rationale and edits as a coloured diff (search lines red,
 * replace lines green). ↑/↓ or 1-3 to move, Space/PgDn and b/PgUp to page the diff, Enter to
 * apply, s to skip the file, q (or Esc, or Ctrl-C, which arrives as a key in raw mode) to stop.
 *
 * The frame always fits the terminal: it is at most `rows - 1` lines high (lines are cut, never
 * wrapped), so the header, every option and the cursor stay on screen however long the diff is;
 * the diff is shown one page at a time. Once a choice is made the frame is replaced by one line
 * saying what was chosen, ending with a newline, so what follows starts on a line of its own.
 * Everything the model wrote is shown without control characters (diff content made visible).
 */
import React, { useRef, useState } from 'react';
import { Box, Text, render, useInput, useStdout } from 'ink';
import type { Choice, ChooseRequest } from '../ai/codemonkey/loop.js';
import type { CodemonkeyOption } from '../ai/codemonkey/schema.js';
import { oneLineSafe, showControl, stripControl } from '../core/sanitize.js';

const RISK_COLOR: Record<CodemonkeyOption['risk'], string> = { low: 'green', medium: 'yellow', high: 'red' };

export interface DiffLine {
  kind: 'file' | 'del' | 'add' | 'more';
  text: string;
}

/** The diff lines of an option's edits, capped at `max` lines. */
export function optionDiff(option: CodemonkeyOption, file: string, max = 5000): DiffLine[] {
  const lines: DiffLine[] = [];
  for (const e of option.edits) {
    lines.push({ kind: 'file', text: `@@ ${showControl(e.path ?? file)}` });
    // File content may really hold control characters: shown as \x1b etc., never sent raw.
    if (e.search !== '') for (const l of showControl(e.search).replace(/\n$/, '').split('\n')) lines.push({ kind: 'del', text: `- ${l}` });
    for (const l of showControl(e.replace).replace(/\n$/, '').split('\n')) lines.push({ kind: 'add', text: `+ ${l}` });
  }
  if (lines.length > max) {
    const left = lines.length - max;
    return [...lines.slice(0, max), { kind: 'more', text: `… ${left} more line${left === 1 ? '' : 's'}` }];
  }
  return lines;
}

/** Words of `text` in lines of at most `width` characters, at most `max` lines (the last one cut with …). */
export function wrapLines(text: string, width: number, max: number): string[] {
  const words = text.split(/\s+/).filter((w) => w.length > 0);
  const lines: string[] = [];
  let cur = '';
  for (const w of words) {
    const next = cur ? `${cur} ${w}` : w;
    if ([...next].length <= width || cur === '') {
      cur = next;
    } else {
      lines.push(cur);
      cur = w;
    }
  }
  if (cur) lines.push(cur);
  if (lines.length <= max) return lines.map((l) => cut(l, width));
  const kept = lines.slice(0, max);
  kept[max - 1] = cut(`${kept[max - 1] ?? ''} …`, width);
  return kept.map((l) => cut(l, width));
}

/** `text` cut to `width` characters (code points), with … when cut. */
export function cut(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  return `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

export interface PickerLayout {
  /** Lines of rationale shown. */
  rationaleLines: number;
  /** Diff lines per page. */
  pageSize: number;
}

/**
 * How the frame fills `rows`: header (1) + options (n) + blank (1) + rationale (≤ 2) + diff page
 * + page line (1) + legend (1) stays at most rows - 1 (ink then ends the frame with a newline
 * instead of treating it as a full screen).
 */
export function pickerLayout(rows: number, optionCount: number): PickerLayout {
  const fixed = 1 + optionCount + 1 + 1 + 1;
  const room = Math.max(0, rows - 1 - fixed);
  const rationaleLines = room >= 8 ? 2 : room >= 4 ? 1 : 0;
  return { rationaleLines, pageSize: Math.max(1, room - rationaleLines) };
}

/** The one line left on the terminal once a choice is made. */
export function choiceSummary(request: ChooseRequest, choice: Choice): string {
  const file = oneLineSafe(request.file);
  if (choice.action === 'skip') return `${file}: skipped`;
  if (choice.action === 'quit') return `${file}: stopped here (q)`;
  const o = request.options[choice.index];
  return `${file}: chose ${choice.index + 1}. ${oneLineSafe(o?.title ?? '')}`;
}

export interface OptionSelectorProps {
  request: ChooseRequest;
  onDone: (choice: Choice) => void;
}

export function OptionSelector({ request, onDone }: OptionSelectorProps): React.ReactElement {
  const [index, setIndex] = useState(0);
  const [offset, setOffset] = useState(0);
  const [done, setDone] = useState<Choice | null>(null);
  // The input handler can run before React has re-rendered with the latest state (a key typed
  // right after another): the current option and the decision live in refs, updated at once.
  const current = useRef(0);
  const decided = useRef(false);
  const { stdout } = useStdout();
  const rows = stdout.rows > 0 ? stdout.rows : 24;
  const cols = stdout.columns > 0 ? stdout.columns : 80;
  const n = request.options.length;
  const layout = pickerLayout(rows, n);
  const selected = request.options[index] as CodemonkeyOption;
  const diff = optionDiff(selected, request.file);
  const lastPage = Math.max(0, diff.length - layout.pageSize);
  const finish = (choice: Choice): void => {
    if (decided.current) return;
    decided.current = true;
    setDone(choice);
    onDone(choice);
  };
  const move = (to: number): void => {
    current.current = to;
    setIndex(to);
    setOffset(0);
  };
  useInput((input, key) => {
    if (decided.current) return;
    const at = current.current;
    if (key.upArrow || input === 'k') move((at + n - 1) % n);
    else if (key.downArrow || input === 'j' || key.tab) move((at + 1) % n);
    else if (/^[1-9]$/.test(input) && Number(input) <= n) move(Number(input) - 1);
    else if (key.pageDown || input === ' ' || input === 'f') setOffset((o) => Math.min(lastPage, o + layout.pageSize));
    else if (key.pageUp || input === 'b') setOffset((o) => Math.max(0, o - layout.pageSize));
    else if (key.return) finish({ action: 'apply', index: at });
    else if (input === 's') finish({ action: 'skip' });
    else if (input === 'q' || key.escape || (key.ctrl && input === 'c')) finish({ action: 'quit' });
  });
  if (done) return <Text>{cut(choiceSummary(request, done), cols - 1)}</Text>;
  const width = cols - 1;
  const page = diff.slice(offset, offset + layout.pageSize);
  const more = diff.length > layout.pageSize;
  const pageLine = more
    ? `diff lines ${offset + 1}-${offset + page.length} of ${diff.length} · ${offset + page.length < diff.length ? 'Space/PgDn more' : 'end'}${offset > 0 ? ' · b/PgUp back' : ''}`
    : `diff: ${diff.length} line${diff.length === 1 ? '' : 's'}`;
  const rationale = wrapLines(stripControl(selected.rationale), width, layout.rationaleLines);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold>{cut(oneLineSafe(request.file), Math.max(10, width - 16))}</Text>
        <Text dimColor>
          {'  '}file {request.position}/{request.total}
        </Text>
      </Text>
      {request.options.map((o, i) => {
        const risk = ` [${o.risk} risk]${o.shrinks ? ' [removes most of a file]' : ''}`;
        const title = cut(`${i === index ? '❯ ' : '  '}${i + 1}. ${oneLineSafe(o.title)}`, Math.max(12, width - risk.length));
        return (
          <Text key={i} wrap="truncate-end">
            <Text {...(i === index ? { color: 'cyan' } : {})}>{title}</Text>
            <Text color={RISK_COLOR[o.risk]}>{` [${o.risk} risk]`}</Text>
            {o.shrinks ? <Text color="red"> [removes most of a file]</Text> : null}
          </Text>
        );
      })}
      <Text> </Text>
      {rationale.map((l, i) => (
        <Text key={`r${i}`} dimColor wrap="truncate-end">
          {l}
        </Text>
      ))}
      {page.map((l, i) => (
        <Text
          key={`d${offset + i}`}
          wrap="truncate-end"
          {...(l.kind === 'del' ? { color: 'red' } : l.kind === 'add' ? { color: 'green' } : l.kind === 'file' ? { color: 'cyan' } : { dimColor: true })}
        >
          {cut(l.text, width)}
        </Text>
      ))}
      <Text dimColor wrap="truncate-end">
        {cut(pageLine, width)}
      </Text>
      <Text dimColor wrap="truncate-end">
        {cut('↑/↓ choose · Enter apply · s skip this file · q stop', width)}
      </Text>
    </Box>
  );
}

export interface SelectStreams {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
}

/**
 * Shows the picker until a choice is made; leaves one summary line on the terminal. When
 * `signal` aborts (SIGTERM, SIGHUP) the picker is taken down at once, giving back the terminal
 * and stdin, and the answer is "quit".
 */
export async function selectOption(request: ChooseRequest, streams: SelectStreams, signal?: AbortSignal): Promise<Choice> {
  let choice: Choice = { action: 'quit' };
  let decided: () => void = () => {};
  const decision = new Promise<void>((resolve) => (decided = resolve));
  const instance = render(
    <OptionSelector
      request={request}
      onDone={(c) => {
        choice = c;
        decided();
      }}
    />,
    { stdin: streams.stdin, stdout: streams.stdout, exitOnCtrlC: false, patchConsole: false },
  );
  if (signal?.aborted) decided();
  else signal?.addEventListener('abort', decided, { once: true });
  try {
    await decision;
    // The last frame is the one-line summary (drawn synchronously here, then flushed by unmount).
    if (!signal?.aborted) instance.rerender(<Text>{cut(choiceSummary(request, choice), Math.max(20, (streams.stdout.columns || 80) - 1))}</Text>);
    instance.unmount();
    await instance.waitUntilExit();
  } finally {
    signal?.removeEventListener('abort', decided);
    instance.cleanup();
  }
  return choice;
}
