/**
 * The interactive docs chat (ink, TTY only): type a question, Enter to ask, the conversation
 * stays on screen and is sent along as context; Esc or Ctrl-C (or an empty line + Enter) quits.
 */
import React, { useRef, useState } from 'react';
import { Box, Text, render, useApp, useInput } from 'ink';
import type { ChatAnswer, ChatTurn } from '../ask/chat.js';
import type { CliIO } from '../core/context.js';
import { stripControl } from '../ask/text.js';
import { quoteWhere } from './ask.js';

export type Answerer = (question: string, history: ChatTurn[]) => Promise<ChatAnswer>;

interface Entry {
  question: string;
  answer: ChatAnswer | null;
  error: string | null;
}

export function ChatApp({ answer }: { answer: Answerer }): React.ReactElement {
  const { exit } = useApp();
  const [line, setLineState] = useState('');
  const [entries, setEntriesState] = useState<Entry[]>([]);
  const [busy, setBusyState] = useState(false);
  // The input handler reads the latest line, entries and busy flag from refs: keys that arrive
  // before React re-subscribes the handler (fast typing, a paste, a loaded machine) would otherwise
  // see the values of an older render (an Enter right after typing would find an empty line).
  const lineRef = useRef('');
  const entriesRef = useRef<Entry[]>([]);
  const busyRef = useRef(false);
  const setLine = (f: (l: string) => string): void => {
    lineRef.current = f(lineRef.current);
    setLineState(lineRef.current);
  };
  const setEntries = (f: (es: Entry[]) => Entry[]): void => {
    entriesRef.current = f(entriesRef.current);
    setEntriesState(entriesRef.current);
  };
  const setBusy = (b: boolean): void => {
    busyRef.current = b;
    setBusyState(b);
  };
  useInput((input, key) => {
    if (key.escape || (key.ctrl && input === 'c')) return exit();
    if (busyRef.current) return;
    if (key.return) {
      const q = lineRef.current.trim();
      if (q.length === 0) return exit();
      setLine(() => '');
      setBusy(true);
      const history: ChatTurn[] = entriesRef.current.filter((e) => e.answer).map((e) => ({ question: e.question, answer: (e.answer as ChatAnswer).answer }));
      setEntries((es) => [...es, { question: q, answer: null, error: null }]);
      answer(q, history)
        .then((a) => setEntries((es) => es.map((e, i) => (i === es.length - 1 ? { ...e, answer: a } : e))))
        .catch((err: unknown) => setEntries((es) => es.map((e, i) => (i === es.length - 1 ? { ...e, error: err instanceof Error ? err.message : String(err) } : e))))
        .finally(() => setBusy(false));
      return;
    }
    if (key.backspace || key.delete) setLine((l) => l.slice(0, -1));
    else if (input && !key.ctrl && !key.meta) setLine((l) => (l + stripControl(input)).slice(0, 2000));
  });
  return (
    <Box flexDirection="column">
      {entries.map((e, i) => (
        <Box key={i} flexDirection="column" marginBottom={1}>
          <Text color="cyan">› {e.question}</Text>
          {e.error ? <Text color="red">error: {e.error}</Text> : null}
          {e.answer ? <Text>{stripControl(e.answer.answer)}</Text> : e.error ? null : <Text dimColor>thinking…</Text>}
          {e.answer?.quotes.map((q, k) => (
            <Text key={k} dimColor>
              {'  '}“{stripControl(q.text)}” — {quoteWhere(q)}
            </Text>
          ))}
        </Box>
      ))}
      <Text>
        <Text color="green">ask › </Text>
        {line}
        <Text dimColor>{busy ? '' : '▏'}</Text>
      </Text>
      <Text dimColor>Enter to ask · empty line, Esc or Ctrl-C to quit</Text>
    </Box>
  );
}

export async function runChatApp(answer: Answerer, io: Pick<CliIO, 'stdin' | 'stdout'>): Promise<void> {
  const instance = render(<ChatApp answer={answer} />, { stdin: io.stdin as NodeJS.ReadStream, stdout: io.stdout as NodeJS.WriteStream, exitOnCtrlC: false, patchConsole: false });
  await instance.waitUntilExit();
  instance.cleanup();
}
