/** Runs the CLI from source in a child process (for tests that kill it): `node --import tsx test/support/cli-child.ts <argv...>`. */
import { run } from '../../src/cli.js';

process.exitCode = await run(process.argv.slice(2));
