// Loaded with `node --import @ipp/platform/instrumentation` before the application, so the ESM hook
// is registered before any instrumented module loads. Tracing is off unless an OTLP exporter is configured.
import { register } from 'node:module';

const exporter = process.env.OTEL_TRACES_EXPORTER;
const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
const enabled =
  process.env.OTEL_SDK_DISABLED !== 'true' &&
  exporter !== 'none' &&
  (Boolean(endpoint) || (exporter !== undefined && exporter !== ''));

if (enabled) {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const { startTracing } = await import('./tracing.ts');
  startTracing();
}
