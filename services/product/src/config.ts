import { amqpEnv, baseEnv, databaseEnv, loadConfig, port } from '@ipp/platform';

export const productEnv = {
  ...baseEnv,
  ...databaseEnv,
  ...amqpEnv,
  PRODUCT_PORT: port(5101),
};

export type ProductConfig = ReturnType<typeof loadProductConfig>;

export function loadProductConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(productEnv, env);
}
