import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultServiceResource, serviceNameOf } from './telemetry-service.ts';

const entry = (path: string) => fileURLToPath(new URL(path, import.meta.url));

describe('the service a process runs', () => {
  it('is named by the package above its entry file, without the scope', () => {
    expect(serviceNameOf(entry('../../services/image-worker/src/main.ts'))).toBe('image-worker');
    expect(serviceNameOf(entry('../../gateway/src/main.ts'))).toBe('gateway');
    expect(serviceNameOf(undefined)).toBeUndefined();
  });

  it('fills OTEL_SERVICE_NAME and service.version unless the operator set them', () => {
    const env: NodeJS.ProcessEnv = { SERVICE_VERSION: '1.2.3' };
    defaultServiceResource(env, entry('../../services/health/src/main.ts'));
    expect(env).toMatchObject({ OTEL_SERVICE_NAME: 'health', OTEL_RESOURCE_ATTRIBUTES: 'service.version=1.2.3' });

    const set: NodeJS.ProcessEnv = {
      OTEL_SERVICE_NAME: 'edge',
      OTEL_RESOURCE_ATTRIBUTES: 'team=images,service.version=9',
    };
    defaultServiceResource(set, entry('../../gateway/src/main.ts'));
    expect(set).toMatchObject({ OTEL_SERVICE_NAME: 'edge', OTEL_RESOURCE_ATTRIBUTES: 'team=images,service.version=9' });
  });
});
