import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { serviceVersion } from './version.ts';

/**
 * The service a process runs, from the nearest package.json above its entry file: `@ipp/image-worker`
 * → `image-worker`. Undefined when there is no entry (a REPL) or no named package above it.
 */
export function serviceNameOf(entry: string | undefined): string | undefined {
  if (!entry) return undefined;
  let directory = dirname(resolve(entry));
  for (;;) {
    try {
      const { name } = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { name?: string };
      if (name) return name.replace(/^@[^/]+\//, '');
    } catch {
      // no package.json here: look further up
    }
    const parent = dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

/**
 * Fills the standard variables the SDK's env resource detector reads, without overriding what the
 * operator set: OTEL_SERVICE_NAME from the entry's package, `service.version` in OTEL_RESOURCE_ATTRIBUTES.
 */
export function defaultServiceResource(env: NodeJS.ProcessEnv, entry: string | undefined) {
  env.OTEL_SERVICE_NAME ||= serviceNameOf(entry);
  if (!env.OTEL_SERVICE_NAME) delete env.OTEL_SERVICE_NAME;
  const attributes = env.OTEL_RESOURCE_ATTRIBUTES ?? '';
  if (!/(^|,)\s*service\.version=/.test(attributes)) {
    const version = `service.version=${encodeURIComponent(env.SERVICE_VERSION || serviceVersion())}`;
    env.OTEL_RESOURCE_ATTRIBUTES = attributes ? `${attributes},${version}` : version;
  }
}
