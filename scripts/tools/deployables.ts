/** The services with an image of their own, and the package directory each is built from. */
export const deployables: Readonly<Record<string, string>> = {
  gateway: 'gateway',
  product: 'services/product',
  upload: 'services/upload',
  health: 'services/health',
  'image-worker': 'services/image-worker',
};
