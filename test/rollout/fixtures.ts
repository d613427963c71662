/** Shared fixtures for the rollout tests: the web Deployment + ConfigMap and the checkout experiment. */
import fs from 'node:fs';
import path from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import type { ConfigMap, Deployment } from '../../src/rollout/manifest.js';

export const WEB_YAML = path.resolve(import.meta.dirname, '../fixtures/rollout/web.yaml');

export function webObjects(): { deployment: Deployment; configMap: ConfigMap } {
  const docs = loadAllYaml(fs.readFileSync(WEB_YAML, 'utf8')) as (Deployment | ConfigMap)[];
  return { deployment: docs[0] as Deployment, configMap: docs[1] as ConfigMap };
}

export const CHECKOUT_SPEC = {
  name: 'checkout_flow',
  controlGroupID: 'Control',
  groups: [
    { name: 'Control', size: 50, parameterValues: { flow: 'classic', color: 'blue', tag: '1.4.0', cpu: '500m' } },
    { name: 'One Page', size: 25, parameterValues: { flow: 'onepage', color: 'green', tag: '1.5.0-rc1', cpu: '750m' } },
    { name: 'Express', size: 25, parameterValues: { flow: 'express', color: 'red', tag: '1.5.0-rc2', cpu: 1 } },
  ],
  primaryMetrics: [{ name: 'purchase', type: 'event_count', direction: 'increase' }],
  rollout: { deployment: 'web', namespace: 'shop', map: { flow: 'env:CHECKOUT_FLOW', color: 'configmap:web-settings/button_color', tag: 'tag@web', cpu: 'resources.limits.cpu' } },
};
