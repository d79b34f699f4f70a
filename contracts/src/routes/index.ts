import { getOutputFileRoute, getUploadedFileRoute } from './files.ts';
import { getApiReferenceRoute, getOpenApiDocumentRoute, getProblemTypeRoute } from './gateway.ts';
import { getHealthDetailedRoute, getHealthRoute, getLivenessRoute, getReadinessRoute } from './health.ts';
import { createKeyRoute, listKeysRoute, revokeKeyRoute } from './keys.ts';
import {
  createProductRoute,
  deleteProductRoute,
  getProductRoute,
  listProductsRoute,
  updateProductRoute,
} from './products.ts';
import {
  createUploadRoute,
  deleteUploadRoute,
  getOutputCsvRoute,
  getUploadEventsRoute,
  getUploadRoute,
  getUploadStatusRoute,
  listUploadsRoute,
} from './uploads.ts';

export * from './files.ts';
export * from './gateway.ts';
export * from './health.ts';
export * from './keys.ts';
export * from './products.ts';
export * from './uploads.ts';
export { uploadCompletedWebhook } from './webhooks.ts';

/** Every public operation, once: the services mount their handlers on these, the gateway documents them. */
export const publicRoutes = [
  listProductsRoute,
  getProductRoute,
  createProductRoute,
  updateProductRoute,
  deleteProductRoute,
  createUploadRoute,
  getUploadStatusRoute,
  getUploadRoute,
  deleteUploadRoute,
  listUploadsRoute,
  getOutputCsvRoute,
  getUploadEventsRoute,
  getUploadedFileRoute,
  getOutputFileRoute,
  createKeyRoute,
  listKeysRoute,
  revokeKeyRoute,
  getHealthRoute,
  getLivenessRoute,
  getReadinessRoute,
  getHealthDetailedRoute,
  getOpenApiDocumentRoute,
  getApiReferenceRoute,
  getProblemTypeRoute,
];

export const tags = [
  { name: 'products', description: 'Products and their processed images.' },
  { name: 'uploads', description: 'CSV and image uploads, their progress, output CSV and webhook.' },
  { name: 'keys', description: 'API keys and their scopes (scope `admin`).' },
  { name: 'files', description: 'Stored source images, processed images and thumbnails.' },
  { name: 'health', description: 'The platform’s health; never rate limited.' },
  { name: 'documentation', description: 'This document, its reference page and the problem types.' },
];
