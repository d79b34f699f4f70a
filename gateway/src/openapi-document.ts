import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { publicRoutes, tags, uploadCompletedWebhook } from '@ipp/contracts/routes';

/**
 * The public API's OpenAPI document, assembled from the route declarations the services mount their
 * handlers on (`@ipp/contracts/routes`): nothing in it is written by hand.
 */
export function buildOpenApiDocument(options: { version: string; serverUrl?: string }) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description:
      'An API key (`ipp_…`, made through `/api/keys`, or one of API_KEYS). Which operations need one depends on ' +
      'AUTH_MODE; each operation names the scope it needs.',
  });
  for (const route of publicRoutes) registry.registerPath(route);
  registry.registerWebhook(uploadCompletedWebhook);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Image Processing Platform',
      version: options.version,
      description:
        'Products, image uploads and their processing. Errors are application/problem+json (RFC 9457); each ' +
        'problem `type` is a page explaining it. Every response carries `X-Request-Id`.',
      contact: { name: 'The platform team, through the repository’s issues' },
    },
    servers: [{ url: options.serverUrl ?? '/', description: 'The gateway.' }],
    tags,
  });
}
