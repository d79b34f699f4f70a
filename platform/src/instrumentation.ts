// Loaded with `node --import @ipp/platform/instrumentation` before the application, so the ESM hook
// is registered before any instrumented module loads. Tracing is off unless an exporter is configured.
import { register } from 'node:module';

const exporter = process.env.OTEL_TRACES_EXPORTER;
const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
const enabled =
  process.env.OTEL_SDK_DISABLED !== 'true' && exporter !== 'none' && (Boolean(endpoint) || Boolean(exporter));

if (enabled) {
  // The ESM hook intercepts only the modules tracing.ts patches when the application imports them as
  // ESM (pg from MikroORM, say): wrapping every module doubles start-up time.
  const { INSTRUMENTED_MODULES, selectedInstrumentations } = await import('./tracing-selection.ts');
  const instrumentations = selectedInstrumentations(process.env);
  const include = instrumentations.flatMap((name) => INSTRUMENTED_MODULES[name]);
  if (include.length > 0) register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include } });
  const { defaultServiceResource } = await import('./telemetry-service.ts');
  defaultServiceResource(process.env, process.argv[1]);
  const { startTracing } = await import('./tracing.ts');
  startTracing(instrumentations);
}
