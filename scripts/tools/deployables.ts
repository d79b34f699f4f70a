/** The services with an image of their own, and the package directory each is built from. */
export const deployables: Readonly<Record<string, string>> = {
  gateway: 'gateway',
  product: 'services/product',
  upload: 'services/upload',
  health: 'services/health',
  'image-worker': 'services/image-worker',
  web: 'services/web',
  auth: 'services/auth',
};

/** The port each deployable serves its probes and /metrics on (the gateway's admin port), as .env.example sets. */
export const probePorts: Readonly<Record<string, number>> = {
  gateway: 5100,
  product: 5101,
  upload: 5102,
  health: 5103,
  'image-worker': 5104,
  web: 5106,
  auth: 5105,
};
