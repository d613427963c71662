/**
 * Checks generated manifests against the official Kubernetes OpenAPI schemas, as packaged by
 * kubernetes-models (JSON schemas generated from the Kubernetes API, checked with ajv).
 */
import { Deployment as DeploymentModel } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap as ConfigMapModel } from 'kubernetes-models/v1/ConfigMap';
import { UserError, errorMessage } from '../core/errors.js';
/** Any object with a kind and a name (the Deployment and ConfigMap shapes of manifest.ts). */
interface KubeObject {
  kind: string;
  metadata: { name: string };
}

interface SchemaError {
  instancePath?: string;
  message?: string;
}

/** Throws a UserError naming the first schema violation of a generated Deployment or ConfigMap. */
export function validateManifest(o: KubeObject): void {
  const what = `${o.kind}/${o.metadata.name}`;
  try {
    if (o.kind === 'Deployment') new DeploymentModel(o).validate();
    else if (o.kind === 'ConfigMap') new ConfigMapModel(o).validate();
    else throw new Error(`no schema for kind ${o.kind}`);
  } catch (error) {
    const errors = (error as { errors?: SchemaError[] }).errors;
    const first = errors?.[0];
    const detail = first ? `${first.instancePath || '/'} ${first.message ?? ''}`.trim() : errorMessage(error);
    throw new UserError(`the generated ${what} does not match the Kubernetes schema: ${detail}`, {
      hint: 'check the parameter values and the mapping (e.g. a quantity such as 500m, a string for env values)',
      code: 'INVALID_MANIFEST',
    });
  }
}
