/**
 * Worker-thread entry: receives series, fits them with the engine, posts results back.
 * Errors are returned as data; the pool decides what to do with them.
 */
import { parentPort } from 'node:worker_threads';
import { forecastOne } from './engine.js';
import type { TaskMessage, ResultMessage } from './pool.js';

const port = parentPort;
if (port) {
  port.on('message', (msg: TaskMessage) => {
    void (async () => {
      let reply: ResultMessage;
      try {
        reply = { id: msg.id, ok: true, result: await forecastOne(msg.series, msg.options) };
      } catch (error) {
        const e = error as Error & { hint?: string; code?: string };
        reply = { id: msg.id, ok: false, error: { message: e.message, hint: e.hint, code: e.code, user: e.name === 'UserError' || e.name === 'UsageError' } };
      }
      port.postMessage(reply);
    })();
  });
}
