/**
 * The interactive option picker (ink, TTY only): the options for one file with their risk,
 * and the highlighted option's rationale and edits as a coloured diff (search lines red,
 * replace lines green). ↑/↓ or 1-3 to move, Enter to apply, s to skip the file, q (or
 * Ctrl-C, which arrives as a key in raw mode) to stop the run.
 */
import React, { useState } from 'react';
import { Box, Text, render, useApp, useInput } from 'ink';
import type { Choice, ChooseRequest } from '../ai/codemonkey/loop.js';
import type { CodemonkeyOption } from '../ai/codemonkey/schema.js';
import { oneLineSafe, showControl, stripControl } from '../core/sanitize.js';

const RISK_COLOR: Record<CodemonkeyOption['risk'], string> = { low: 'green', medium: 'yellow', high: 'red' };

export interface DiffLine {
  kind: 'file' | 'del' | 'add' | 'more';
  text: string;
}

/** The diff lines of an option's edits, capped at `max` lines. */
export function optionDiff(option: CodemonkeyOption, file: string, max = 40): DiffLine[] {
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

export interface OptionSelectorProps {
  request: ChooseRequest;
  onDone: (choice: Choice) => void;
}

export function OptionSelector({ request, onDone }: OptionSelectorProps): React.ReactElement {
  const [index, setIndex] = useState(0);
  const [done, setDone] = useState(false);
  const { exit } = useApp();
  const n = request.options.length;
  const finish = (choice: Choice): void => {
    if (done) return;
    setDone(true);
    onDone(choice);
    exit();
  };
  useInput((input, key) => {
    if (key.upArrow || input === 'k') setIndex((i) => (i + n - 1) % n);
    else if (key.downArrow || input === 'j' || key.tab) setIndex((i) => (i + 1) % n);
    else if (/^[1-9]$/.test(input) && Number(input) <= n) setIndex(Number(input) - 1);
    else if (key.return) finish({ action: 'apply', index });
    else if (input === 's') finish({ action: 'skip' });
    else if (input === 'q' || key.escape || (key.ctrl && input === 'c')) finish({ action: 'quit' });
  });
  const selected = request.options[index] as CodemonkeyOption;
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>{oneLineSafe(request.file)}</Text>
        <Text dimColor>
          {'  '}file {request.position}/{request.total}
        </Text>
      </Text>
      {request.options.map((o, i) => (
        <Text key={i} {...(i === index ? { color: 'cyan' } : {})}>
          {i === index ? '❯ ' : '  '}
          {i + 1}. {oneLineSafe(o.title)} <Text color={RISK_COLOR[o.risk]}>[{o.risk} risk]</Text>
          {o.shrinks ? <Text color="red"> [removes most of a file]</Text> : null}
        </Text>
      ))}
      <Box marginTop={1} flexDirection="column">
        <Text dimColor>{stripControl(selected.rationale)}</Text>
        {optionDiff(selected, request.file).map((l, i) => (
          <Text key={i} {...(l.kind === 'del' ? { color: 'red' } : l.kind === 'add' ? { color: 'green' } : l.kind === 'file' ? { color: 'cyan' } : { dimColor: true })}>
            {l.text}
          </Text>
        ))}
      </Box>
      <Text dimColor>↑/↓ choose · Enter apply · s skip this file · q stop</Text>
    </Box>
  );
}

export interface SelectStreams {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
}

/** Shows the picker until a choice is made. */
export async function selectOption(request: ChooseRequest, streams: SelectStreams): Promise<Choice> {
  let choice: Choice = { action: 'quit' };
  const instance = render(<OptionSelector request={request} onDone={(c) => (choice = c)} />, {
    stdin: streams.stdin,
    stdout: streams.stdout,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  await instance.waitUntilExit();
  instance.cleanup();
  return choice;
}
