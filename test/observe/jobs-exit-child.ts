/**
 * A process that logs queries and then ends without cli.ts's flush (for jobs.test.ts):
 * `node --import tsx jobs-exit-child.ts <store> <n> exit|throw|wait`. `exit` calls
 * process.exit(3), `throw` throws an uncaught error, `wait` stays alive (the test kills it
 * with SIGKILL once the timer has written the log).
 */
import { JobScope } from '../../src/observe/jobs/scope.js';
import { queryObserver } from '../../src/store/observer.js';
import { Store } from '../../src/store/store.js';

const [file, n, how] = process.argv.slice(2) as [string, string, 'exit' | 'throw' | 'wait'];
const store = await Store.open(file, { readOnly: true });
const scope = new JobScope();
scope.describe('analyze', { experiment: 'exit_test' }, file);
// Under `wait` the timer writes the log; otherwise only the end of the process can.
scope.flushAfterMs = how === 'wait' ? 200 : 600_000;
// Armed from the first query on (a CLI run arms it only a second after its first query, see ARM_AFTER_MS).
if (how === 'wait') scope.armAfterMs = 0;
await queryObserver.run(scope, async () => {
  for (let i = 0; i < Number(n); i++) await store.all(`SELECT ${i} AS x`);
});
if (how === 'exit') process.exit(3);
if (how === 'throw') {
  setImmediate(() => {
    throw new Error('boom');
  });
} else {
  setInterval(() => undefined, 1000); // alive until killed
  process.stdout.write('waiting\n');
}
