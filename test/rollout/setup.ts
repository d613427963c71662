/** A project store with the checkout experiment and a stand-in API server holding its Deployment. */
import { KubeApiStandIn } from '../support/kube-api.js';
import { tmpStore } from '../support/tmp.js';
import { baseEnv, runCli, type CliResult } from '../support/run-cli.js';
import type { Store } from '../../src/store/store.js';
import { CHECKOUT_SPEC, webObjects } from './fixtures.js';

export interface Fixture {
  dir: string;
  db: string;
  kubeconfig: string;
  api: KubeApiStandIn;
  cli(...argv: string[]): Promise<CliResult>;
}

export async function insertEntity(store: Store, kind: string, name: string, spec: unknown, status = 'active'): Promise<void> {
  await store.run('INSERT INTO entities (kind, name, status, spec) VALUES ($1, $2, $3, $4)', [kind, name, status, JSON.stringify(spec)]);
}

export async function fixture(spec: Record<string, unknown> = CHECKOUT_SPEC, extra?: (store: Store) => Promise<void>): Promise<Fixture> {
  const { dir, file, store } = await tmpStore();
  await insertEntity(store, 'experiments', String(spec.name), spec);
  await extra?.(store);
  store.close();
  const api = await new KubeApiStandIn().start();
  const { deployment, configMap } = webObjects();
  api.seed(deployment as never);
  api.seed(configMap as never);
  const kubeconfig = api.writeKubeconfig(dir, 'shop');
  return {
    dir,
    db: file,
    kubeconfig,
    api,
    cli: (...argv: string[]) => runCli(['--db', file, ...argv], { cwd: dir, env: baseEnv({ KUBECONFIG: kubeconfig }) }),
  };
}
