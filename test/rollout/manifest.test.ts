import { describe, expect, it } from 'vitest';
import {
  ANNOTATION_BASE,
  applyEdits,
  LABEL_EXPERIMENT,
  LABEL_GROUP,
  copyName,
  experimentGroups,
  imageRepo,
  mappingsFrom,
  parseMapping,
  planRollout,
  promotionApplies,
  splitReplicas,
  type ConfigMap,
  type Deployment,
} from '../../src/rollout/manifest.js';
import { validateManifest } from '../../src/rollout/validate.js';
import { UserError } from '../../src/core/errors.js';
import { CHECKOUT_SPEC, webObjects } from './fixtures.js';

function plan(map: Record<string, string> = CHECKOUT_SPEC.rollout.map, flags: string[] = [], totalReplicas?: number) {
  const { deployment, configMap } = webObjects();
  const { groups, control } = experimentGroups('checkout_flow', CHECKOUT_SPEC);
  return planRollout({ experiment: 'checkout_flow', namespace: 'shop', base: deployment, configMaps: [configMap], groups, control, mappings: mappingsFrom(map, flags), totalReplicas });
}

function thrown(fn: () => unknown): UserError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error('expected a UserError');
}

describe('parseMapping', () => {
  it('parses every target form', () => {
    expect(parseMapping('flow=env:CHECKOUT_FLOW').target).toEqual({ kind: 'env', name: 'CHECKOUT_FLOW' });
    expect(parseMapping('img=image@sidecar').target).toEqual({ kind: 'image', container: 'sidecar' });
    expect(parseMapping('v=tag').target).toEqual({ kind: 'tag' });
    expect(parseMapping('a=args').target).toEqual({ kind: 'args' });
    expect(parseMapping('m=resources.requests.memory@web').target).toEqual({ kind: 'resources', section: 'requests', resource: 'memory', container: 'web' });
    expect(parseMapping('n=annotation:example.com/note').target).toEqual({ kind: 'annotation', key: 'example.com/note' });
    expect(parseMapping('c=configmap:web-settings/button_color').target).toEqual({ kind: 'configmap', name: 'web-settings', key: 'button_color' });
  });
  it('rejects unknown targets and malformed flags with a hint', () => {
    const e = thrown(() => parseMapping('flow=environment:X'));
    expect(e.message).toBe('mapping flow=environment:X: unknown target');
    expect(e.hint).toContain('env:NAME');
    expect(thrown(() => parseMapping('flow')).message).toContain('param=target');
    expect(thrown(() => parseMapping('x=image@Bad_Name')).message).toContain('not a container name');
  });
  it('lets --map override the spec mapping of the same parameter', () => {
    const m = mappingsFrom({ flow: 'env:CHECKOUT_FLOW' }, ['flow=env:LOG_LEVEL']);
    expect(m).toHaveLength(1);
    expect(m[0]?.target).toEqual({ kind: 'env', name: 'LOG_LEVEL' });
  });
});

describe('splitReplicas', () => {
  it('splits by size, the control keeping the rest', () => {
    expect(splitReplicas(10, [{ name: 'c', size: 50 }, { name: 'a', size: 25 }, { name: 'b', size: 25 }], 'c')).toEqual({ c: 5, a: 3, b: 2 });
    expect(splitReplicas(3, [{ name: 'c', size: 98 }, { name: 'a', size: 1 }, { name: 'b', size: 1 }], 'c')).toEqual({ c: 1, a: 1, b: 1 });
  });
  it('always sums to the total and gives every group at least one', () => {
    for (let total = 3; total < 40; total += 1) {
      const s = splitReplicas(total, [{ name: 'c', size: 90 }, { name: 'a', size: 7 }, { name: 'b', size: 3 }], 'c');
      expect(Object.values(s).reduce((a, b) => a + b, 0)).toBe(total);
      expect(Math.min(...Object.values(s))).toBeGreaterThanOrEqual(1);
    }
  });
  it('refuses fewer replicas than groups', () => {
    const e = thrown(() => splitReplicas(2, [{ name: 'c', size: 1 }, { name: 'a', size: 1 }, { name: 'b', size: 1 }], 'c'));
    expect(e.message).toContain('cannot be split across 3 groups');
    expect(e.hint).toContain('--replicas 3');
  });
});

describe('planRollout', () => {
  it('makes one labelled copy per non-control group with the mapped fields set', () => {
    const p = plan();
    const deployments = p.objects.filter((o): o is Deployment => o.kind === 'Deployment');
    const cms = p.objects.filter((o): o is ConfigMap => o.kind === 'ConfigMap');
    expect(deployments.map((d) => d.metadata.name)).toEqual(['web-one-page', 'web-express']);
    expect(cms.map((c) => c.metadata.name)).toEqual(['web-settings-one-page', 'web-settings-express']);
    const [onePage, express] = deployments as [Deployment, Deployment];
    expect(onePage.metadata.labels).toEqual({ app: 'web', [LABEL_EXPERIMENT]: 'checkout_flow', [LABEL_GROUP]: 'One-Page' });
    expect(onePage.metadata.annotations?.[ANNOTATION_BASE]).toBe('web');
    expect(onePage.spec.template.metadata?.labels).toMatchObject({ app: 'web', [LABEL_GROUP]: 'One-Page' });
    expect(onePage.spec.selector.matchLabels).toEqual({ app: 'web', [LABEL_GROUP]: 'One-Page' });
    const web = onePage.spec.template.spec.containers[0];
    expect(web?.image).toBe('registry.example.com/shop/web:1.5.0-rc1');
    expect(web?.env).toEqual([{ name: 'CHECKOUT_FLOW', value: 'onepage' }, { name: 'LOG_LEVEL', value: 'info' }]);
    expect(web?.resources?.limits).toEqual({ cpu: '750m', memory: '256Mi' });
    expect(web?.envFrom).toEqual([{ configMapRef: { name: 'web-settings-one-page' } }]);
    expect(onePage.spec.template.spec.volumes?.[0]?.configMap?.name).toBe('web-settings-one-page');
    // The sidecar is untouched, and so is the numeric cpu of the other group (a valid quantity).
    expect(onePage.spec.template.spec.containers[1]?.image).toBe('envoyproxy/envoy:v1.30.0');
    expect(express.spec.template.spec.containers[0]?.resources?.limits?.cpu).toBe(1);
    expect(cms[0]?.data).toEqual({ button_color: 'green', banner: 'off' });
    expect(p.groups.map((g) => [g.deployment, g.replicas])).toEqual([['web', 5], ['web-one-page', 3], ['web-express', 2]]);
    expect(p.baseApply.spec.replicas).toBe(5);
    expect(p.baseReplicas).toBe(10);
  });
  it('writes args and pod annotations', () => {
    const { deployment, configMap } = webObjects();
    const groups = [
      { name: 'control', size: 50, parameterValues: { args: ['--port', '8080'], note: 'a' } },
      { name: 'fast', size: 50, parameterValues: { args: ['--port', '8080', '--fast'], note: 'b' } },
    ];
    const p = planRollout({ experiment: 'e', namespace: 'shop', base: deployment, configMaps: [configMap], groups, control: 'control', mappings: mappingsFrom({ args: 'args', note: 'annotation:example.com/note' }, []) });
    const d = p.objects[0] as Deployment;
    expect(d.spec.template.spec.containers[0]?.args).toEqual(['--port', '8080', '--fast']);
    expect(d.spec.template.metadata?.annotations).toEqual({ 'example.com/note': 'b' });
  });
  it('does not change the base object it was given', () => {
    const { deployment, configMap } = webObjects();
    const before = JSON.stringify(deployment);
    const { groups, control } = experimentGroups('checkout_flow', CHECKOUT_SPEC);
    planRollout({ experiment: 'checkout_flow', namespace: 'shop', base: deployment, configMaps: [configMap], groups, control, mappings: mappingsFrom(CHECKOUT_SPEC.rollout.map, []) });
    expect(JSON.stringify(deployment)).toBe(before);
  });
  it('honours a total replica override', () => {
    expect(plan(undefined, [], 4).groups.map((g) => g.replicas)).toEqual([2, 1, 1]);
  });
  it('names a missing field clearly, before anything is built', () => {
    expect(thrown(() => plan({ flow: 'env:CHECKOUT_FLOWS' })).message).toBe('mapping flow=env:CHECKOUT_FLOWS: container "web" has no env var CHECKOUT_FLOWS');
    expect(thrown(() => plan({ flow: 'env:CHECKOUT_FLOWS' })).hint).toContain('did you mean CHECKOUT_FLOW?');
    expect(thrown(() => plan({ flow: 'env:CHECKOUT_FLOW@api' })).message).toBe('mapping flow=env:CHECKOUT_FLOW@api: the Deployment has no container "api"');
    expect(thrown(() => plan({ color: 'configmap:web-settings/button_colour' })).message).toBe('mapping color=configmap:web-settings/button_colour: the ConfigMap "web-settings" has no key "button_colour"');
    expect(thrown(() => plan({ color: 'configmap:other/x' })).message).toContain('no ConfigMap "other"');
    expect(thrown(() => plan({ flw: 'env:CHECKOUT_FLOW' })).message).toContain('no group of the experiment sets a parameter "flw"');
    expect(thrown(() => plan({})).message).toContain('no parameter mapping');
  });
  it('refuses values that are not of the field type', () => {
    expect(thrown(() => plan({ flow: 'resources.limits.cpu' })).message).toContain('"onepage" is not a Kubernetes quantity');
    const { deployment } = webObjects();
    const edit = { param: 'v', target: { kind: 'tag' as const }, value: 'not a tag!' };
    expect(thrown(() => applyEdits(structuredClone(deployment), [edit], deployment)).message).toBe('parameter v: "not a tag!" is not an image tag');
  });
  it('keeps copy names within 63 characters and distinct', () => {
    const long = 'a'.repeat(60);
    expect(copyName(long, 'group-one').length).toBeLessThanOrEqual(63);
    expect(copyName(long, 'group-one')).not.toBe(copyName(long, 'group-two'));
    expect(imageRepo('localhost:5000/web:1.0')).toBe('localhost:5000/web');
    expect(imageRepo('localhost:5000/web')).toBe('localhost:5000/web');
    expect(imageRepo('web@sha256:abc')).toBe('web');
  });
  it('lists unmapped parameters as warnings', () => {
    expect(plan({ flow: 'env:CHECKOUT_FLOW' }).warnings).toEqual(['parameter color is not mapped to any field: the copies do not change it', 'parameter tag is not mapped to any field: the copies do not change it', 'parameter cpu is not mapped to any field: the copies do not change it']);
  });
});

describe('official schema validation', () => {
  it('accepts every generated object', () => {
    for (const o of plan().objects) expect(() => validateManifest(o)).not.toThrow();
  });
  it('rejects a manifest the Kubernetes schema forbids', () => {
    const d = plan().objects.find((o) => o.kind === 'Deployment') as Deployment;
    const broken = structuredClone(d) as unknown as { spec: { replicas: unknown } };
    broken.spec.replicas = 'three';
    const e = thrown(() => validateManifest(broken as unknown as Deployment));
    expect(e.message).toBe('the generated Deployment/web-one-page does not match the Kubernetes schema: /spec/replicas must be integer');
  });
});

describe('promotionApplies', () => {
  it('writes only the winner fields into the base (a partial apply) and the ConfigMap key', () => {
    const { deployment, configMap } = webObjects();
    const { groups } = experimentGroups('checkout_flow', CHECKOUT_SPEC);
    const applies = promotionApplies(deployment, [configMap], groups[2] as never, mappingsFrom(CHECKOUT_SPEC.rollout.map, []), 'shop', 10);
    expect(applies.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ConfigMap/web-settings', 'Deployment/web']);
    expect((applies[0] as ConfigMap).data).toEqual({ button_color: 'red' });
    const d = applies[1] as Deployment;
    expect(d.spec.replicas).toBe(10);
    expect(d.spec.template.spec.containers).toEqual([{ name: 'web', image: 'registry.example.com/shop/web:1.5.0-rc2', env: [{ name: 'CHECKOUT_FLOW', value: 'express' }], resources: { limits: { cpu: 1 } } }]);
  });
});

describe('lineDiff and leaseDecision', () => {
  it('diffs lines with removals before additions and elides distant context', async () => {
    const { lineDiff } = await import('../../src/rollout/diff.js');
    const before = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'replicas: 10', 'z'].join('\n');
    const after = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'replicas: 5', 'z'].join('\n');
    expect(lineDiff(before, after, 1)).toBe(['  ...', '  h', '- replicas: 10', '+ replicas: 5', '  z'].join('\n'));
    expect(lineDiff('', 'x: 1\n')).toBe('+ x: 1');
  });
  it('takes a lease that is free or expired, renews its own, waits on a live holder', async () => {
    const { leaseDecision } = await import('../../src/rollout/cluster.js');
    const now = new Date('2026-12-01T00:00:10Z');
    const lease = { name: 'l', namespace: 'n', holder: 'a', durationSeconds: 15, renewTime: '2026-12-01T00:00:00Z', transitions: 0 };
    expect(leaseDecision(null, 'b', now)).toBe('create');
    expect(leaseDecision(lease, 'a', now)).toBe('renew');
    expect(leaseDecision(lease, 'b', now)).toBe('held');
    expect(leaseDecision(lease, 'b', new Date('2026-12-01T00:00:16Z'))).toBe('take');
    expect(leaseDecision({ ...lease, holder: null }, 'b', now)).toBe('take');
  });
});
