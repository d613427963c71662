/**
 * Lazy, synchronous initialisation of the augurs wasm modules in Node. The packages' default
 * `init()` fetches the `.wasm` through a `file://` URL, which Node's fetch refuses; we read the
 * bytes next to each module and call `initSync` instead. Each module is initialised once per
 * thread (worker threads load their own copies).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type * as ProphetModule from '@bsull/augurs/prophet';
import type * as MstlModule from '@bsull/augurs/mstl';
import type * as EtsModule from '@bsull/augurs/ets';
import type * as OutlierModule from '@bsull/augurs/outlier';

const require = createRequire(import.meta.url);

function wasmBytes(specifier: string, wasmFile: string): Buffer {
  const js = require.resolve(specifier);
  return fs.readFileSync(path.join(path.dirname(js), wasmFile));
}

export interface ProphetKit {
  Prophet: typeof ProphetModule.Prophet;
  optimizer: ProphetModule.ProphetOptions['optimizer'];
}

let prophetKit: Promise<ProphetKit> | undefined;
let mstlKit: Promise<typeof MstlModule> | undefined;
let etsKit: Promise<typeof EtsModule> | undefined;
let outlierKit: Promise<typeof OutlierModule> | undefined;

export function loadProphet(): Promise<ProphetKit> {
  prophetKit ??= (async () => {
    const mod = await import('@bsull/augurs/prophet');
    mod.initSync({ module: wasmBytes('@bsull/augurs/prophet', 'prophet_bg.wasm') });
    await silenceStanStderr();
    const { optimizer } = await import('@bsull/augurs-prophet-wasmstan');
    return { Prophet: mod.Prophet, optimizer };
  })();
  return prophetKit;
}

/**
 * The Stan optimizer writes "Exception thrown" lines to the WASI stderr (the process's real
 * stderr) when an optimization fails; the failure is also thrown as an error, which we report.
 * Route that stream to a sink instead, so nothing reaches the terminal behind our output layer.
 * Best effort: if the shim's internals differ, the lines are simply not silenced.
 */
async function silenceStanStderr(): Promise<void> {
  try {
    const wasmstan = createRequire(require.resolve('@bsull/augurs-prophet-wasmstan'));
    const cliPath = wasmstan.resolve('@bytecodealliance/preview2-shim/cli');
    const cli = (await import(pathToFileURL(cliPath).href)) as {
      stderr: { OutputStream: { prototype: object } };
      _setStderr?: (stream: unknown) => void;
    };
    if (typeof cli._setStderr !== 'function') return;
    const sink = Object.create(cli.stderr.OutputStream.prototype) as Record<string, unknown>;
    const noop = (): void => undefined;
    Object.assign(sink, {
      checkWrite: () => 1_048_576n,
      write: noop,
      blockingWriteAndFlush: noop,
      flush: noop,
      blockingFlush: noop,
    });
    cli._setStderr(sink);
  } catch {
    // keep the default stream
  }
}

export function loadMstl(): Promise<typeof MstlModule> {
  mstlKit ??= (async () => {
    const mod = await import('@bsull/augurs/mstl');
    mod.initSync({ module: wasmBytes('@bsull/augurs/mstl', 'mstl_bg.wasm') });
    return mod;
  })();
  return mstlKit;
}

export function loadEts(): Promise<typeof EtsModule> {
  etsKit ??= (async () => {
    const mod = await import('@bsull/augurs/ets');
    mod.initSync({ module: wasmBytes('@bsull/augurs/ets', 'ets_bg.wasm') });
    return mod;
  })();
  return etsKit;
}

export function loadOutlier(): Promise<typeof OutlierModule> {
  outlierKit ??= (async () => {
    const mod = await import('@bsull/augurs/outlier');
    mod.initSync({ module: wasmBytes('@bsull/augurs/outlier', 'outlier_bg.wasm') });
    return mod;
  })();
  return outlierKit;
}
