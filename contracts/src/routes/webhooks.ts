import type { RouteConfig } from '@hono/zod-openapi';
import { WebhookPayloadSchema } from '../uploads.ts';
import { z } from '../zod.ts';

/** What the platform sends to an upload's `webhook_url` when the request finishes (Standard Webhooks). */
export const uploadCompletedWebhook = {
  method: 'post',
  path: 'upload.completed',
  operationId: 'uploadCompleted',
  tags: ['uploads'],
  summary: 'An upload request finished',
  description:
    'Sent once the request is completed, completed with errors or failed. Signed per Standard Webhooks: verify ' +
    '`webhook-signature` (`v1,<base64 HMAC-SHA256>` of `<webhook-id>.<webhook-timestamp>.<body>` with ' +
    'WEBHOOK_SECRET). Any answer other than 2xx, or none in time, is retried with exponential backoff under the ' +
    'same `webhook-id`; the attempts show in the request’s status.',
  request: {
    headers: z.object({
      'webhook-id': z.string().meta({ description: 'The delivery id, the same on every retry.' }),
      'webhook-timestamp': z.string().regex(/^\d+$/).meta({ description: 'Unix seconds of this attempt.' }),
      'webhook-signature': z.string().meta({ description: '`v1,<base64 signature>`.' }),
    }),
    body: {
      required: true,
      description: 'The request’s outcome.',
      content: { 'application/json': { schema: WebhookPayloadSchema.meta({ id: 'UploadCompleted' }) } },
    },
  },
  responses: {
    200: { description: 'Any 2xx: delivered; never sent again.' },
    500: { description: 'Any other answer: retried with backoff.' },
  },
} satisfies RouteConfig;
