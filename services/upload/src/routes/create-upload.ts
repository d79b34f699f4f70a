import { createHash } from 'node:crypto';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { CreateProductSchema, type UploadAccepted, UploadOptionsSchema } from '@ipp/contracts';
import { createUploadRoute } from '@ipp/contracts/routes';
import { type AppEnv, AppError, validationError } from '@ipp/platform';
import { BlockedAddressError, checkUrl, type NetworkPolicy } from '@ipp/platform/ssrf-guard';
import { fileUrl, type ObjectStorage } from '@ipp/platform/storage';
import { callerOf } from '../caller.ts';
import { parseProductCsv } from '../csv-parser.ts';
import { sniffImage } from '../image-sniff.ts';
import { acceptUpload, type IngestDependencies, type IngestPlan } from '../ingest.ts';
import { discardImages, readUploadForm, type UploadForm } from '../upload-form.ts';

export type UploadRouteOptions = IngestDependencies & {
  storage: ObjectStorage;
  fetchPolicy: NetworkPolicy;
  publicBaseUrl: string;
  maxBytes: number;
  maxRows: number;
};

const ImageProductSchema = CreateProductSchema.pick({ serial_number: true, name: true });

/** A webhook URL whose host is an address the SSRF guard refuses is refused now; host names are checked at delivery. */
function checkWebhookUrl(url: string | undefined, policy: NetworkPolicy) {
  if (!url) return;
  try {
    checkUrl(url, policy);
  } catch (error) {
    if (!(error instanceof BlockedAddressError)) throw error;
    throw new AppError('validation_failed', `webhook_url: ${error.message}`, {
      errors: [{ path: 'webhook_url', message: error.message }],
    });
  }
}

const hashOf = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

function csvPlan(csv: Buffer, options: IngestPlan['options'], maxRows: number): IngestPlan {
  const head = csv.subarray(0, 8192);
  if (sniffImage(head) || head.includes(0)) throw new AppError('unsupported_media_type', 'The file is not a CSV');
  const parsed = parseProductCsv(csv, { maxRows });
  if (!parsed.ok) throw new AppError('validation_failed', parsed.detail, { errors: parsed.errors });
  const items = parsed.rows.flatMap((row) =>
    row.urls.map((url, position) => ({
      row_number: row.row,
      position,
      serial_number: row.serial_number,
      product_name: row.product_name,
      input_url: url,
      source: { kind: 'url' as const, url },
    })),
  );
  return { kind: 'csv', items, options, bodyHash: hashOf({ kind: 'csv', options, rows: parsed.rows }) };
}

function imagesPlan(form: UploadForm, options: IngestPlan['options'], publicBaseUrl: string): IngestPlan {
  const product = ImageProductSchema.safeParse({ serial_number: form.fields.serial_number, name: form.fields.name });
  if (!product.success) throw validationError(product.error);
  const { serial_number, name } = product.data;
  const items = form.images.map((image, position) => ({
    row_number: 2,
    position,
    serial_number,
    product_name: name,
    input_url: fileUrl(publicBaseUrl, image.key),
    source: { kind: 'file' as const, key: image.key, content_type: image.type.contentType },
  }));
  const images = form.images.map((image) => image.sha256);
  return { kind: 'images', items, options, bodyHash: hashOf({ kind: 'images', options, serial_number, name, images }) };
}

// The form is streamed to storage part by part (readUploadForm) and its fields checked below with the
// contract schemas the declaration is built from; hono's form validator would buffer the whole body first.
const { body: _form, ...request } = createUploadRoute.request;

/** `POST /api/upload`: a CSV (`file`) or image files (`images`), checked whole, answered 202 before any fetching. */
export function mountCreateUpload(api: OpenAPIHono<AppEnv>, options: UploadRouteOptions) {
  api.openapi({ ...createUploadRoute, request }, async (c) => {
    const idempotencyKey = c.req.valid('header')['idempotency-key'];
    const form = await readUploadForm(c.req.raw, { maxBytes: options.maxBytes, storage: options.storage });
    try {
      const { webhook_url, quality, format, max_width, max_height } = form.fields;
      const parsedOptions = UploadOptionsSchema.safeParse({ webhook_url, quality, format, max_width, max_height });
      if (!parsedOptions.success) throw validationError(parsedOptions.error);
      checkWebhookUrl(parsedOptions.data.webhook_url, options.fetchPolicy);
      if (form.csv && form.images.length)
        throw new AppError('validation_failed', 'Send either a CSV file or images, not both');
      let plan: IngestPlan;
      if (form.csv) plan = csvPlan(form.csv, parsedOptions.data, options.maxRows);
      else if (form.images.length) plan = imagesPlan(form, parsedOptions.data, options.publicBaseUrl);
      else throw new AppError('validation_failed', 'The upload needs a CSV in "file" or image files in "images"');

      const owner = callerOf((name) => c.req.header(name)).keyId;
      const accepted = await acceptUpload(options, plan, owner, idempotencyKey);
      if (accepted.replayed) await discardImages(form, options.storage);
      const body: UploadAccepted = {
        request_id: accepted.request_id,
        status: 'queued',
        total: accepted.total,
        status_url: `/api/status/${accepted.request_id}`,
      };
      if (accepted.replayed) c.header('idempotent-replayed', 'true');
      c.get('log').info(
        { upload_request_id: accepted.request_id, kind: plan.kind, total: accepted.total, replayed: accepted.replayed },
        'upload accepted',
      );
      return c.json(body, accepted.replayed ? 200 : 202);
    } catch (error) {
      await discardImages(form, options.storage);
      throw error;
    }
  });
}
