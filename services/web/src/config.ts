import { baseEnv, httpUrl, loadConfig, port, positiveInt } from '@ipp/platform';

/** The web app's environment: where it listens and where the public API (the gateway) answers. */
export const webEnv = {
  ...baseEnv,
  WEB_APP_PORT: port(5106),
  GATEWAY_URL: httpUrl('http://127.0.0.1:5000'),
  WEB_API_TIMEOUT_MS: positiveInt(10_000),
};

export type WebConfig = ReturnType<typeof loadWebConfig>;

export function loadWebConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(webEnv, env);
}
