/**
 * The libraries tracing instruments, by the names OTEL_NODE_ENABLED_INSTRUMENTATIONS and
 * OTEL_NODE_DISABLED_INSTRUMENTATIONS use (the package name without `@opentelemetry/instrumentation-`),
 * with the modules the ESM hook intercepts for each. undici reports through diagnostics_channel; `pg`
 * names the platform's own SQL spans.
 */
export const INSTRUMENTED_MODULES = {
  undici: [],
  // The platform's own query hook (query-spans.ts) patches nothing.
  pg: [],
  amqplib: ['amqplib'],
  ioredis: ['ioredis'],
} as const satisfies Record<string, readonly string[]>;

export type InstrumentationName = keyof typeof INSTRUMENTED_MODULES;

const NAMES = Object.keys(INSTRUMENTED_MODULES) as InstrumentationName[];

/** A comma-separated list, blanks dropped (`pg,` names pg only); undefined when it names nothing. */
function listed(value: string | undefined) {
  const names =
    value
      ?.split(',')
      .map((name) => name.trim())
      .filter(Boolean) ?? [];
  return names.length > 0 ? names : undefined;
}

/**
 * The instrumentations to load, read as @opentelemetry/auto-instrumentations-node reads the same
 * variables: the enabled ones (all when unset), less the disabled ones, so a name in both is off.
 * Operators turn SQL spans off with OTEL_NODE_DISABLED_INSTRUMENTATIONS=pg, say. An unknown name is
 * reported as a process warning.
 */
export function selectedInstrumentations(env: NodeJS.ProcessEnv): InstrumentationName[] {
  const enabled = listed(env.OTEL_NODE_ENABLED_INSTRUMENTATIONS);
  const disabled = listed(env.OTEL_NODE_DISABLED_INSTRUMENTATIONS) ?? [];
  const unknown = [...(enabled ?? []), ...disabled].filter((name) => !NAMES.includes(name as InstrumentationName));
  if (unknown.length > 0) {
    process.emitWarning(
      `No instrumentation named ${unknown.join(', ')} in OTEL_NODE_ENABLED_INSTRUMENTATIONS or ` +
        `OTEL_NODE_DISABLED_INSTRUMENTATIONS; this platform has ${NAMES.join(', ')}`,
    );
  }
  return NAMES.filter((name) => (!enabled || enabled.includes(name)) && !disabled.includes(name));
}
