import type { Migration } from '@ipp/platform/migrations';

/** Requests, their items (one per image), the job outbox, idempotency keys and webhook deliveries. */
export const createUploadSchema: Migration = {
  up: [
    `CREATE TABLE upload.requests (
      id uuid PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('csv', 'images')),
      status text NOT NULL DEFAULT 'queued',
      total integer NOT NULL,
      processed integer NOT NULL DEFAULT 0,
      failed integer NOT NULL DEFAULT 0,
      options jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      completed_at timestamptz
    )`,
    'CREATE INDEX requests_created_at_idx ON upload.requests (created_at DESC, id DESC)',
    `CREATE TABLE upload.items (
      id uuid PRIMARY KEY,
      request_id uuid NOT NULL REFERENCES upload.requests (id) ON DELETE CASCADE,
      row_number integer NOT NULL,
      position integer NOT NULL,
      serial_number text NOT NULL,
      product_name text NOT NULL,
      input_url text NOT NULL,
      source_key text,
      source_content_type text,
      output_url text,
      thumbnail_url text,
      status text NOT NULL DEFAULT 'queued',
      error text,
      input_bytes bigint,
      output_bytes bigint,
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (request_id, row_number, position)
    )`,
    `CREATE TABLE upload.outbox (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      exchange text NOT NULL,
      routing_key text NOT NULL,
      payload jsonb NOT NULL,
      headers jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz
    )`,
    'CREATE INDEX outbox_unsent_idx ON upload.outbox (id) WHERE sent_at IS NULL',
    `CREATE TABLE upload.idempotency_keys (
      key text PRIMARY KEY,
      body_hash text NOT NULL,
      request_id uuid NOT NULL REFERENCES upload.requests (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE TABLE upload.webhook_deliveries (
      id uuid PRIMARY KEY,
      request_id uuid NOT NULL UNIQUE REFERENCES upload.requests (id) ON DELETE CASCADE,
      url text NOT NULL,
      status text NOT NULL DEFAULT 'pending',
      attempts integer NOT NULL DEFAULT 0,
      payload jsonb,
      next_attempt_at timestamptz,
      last_error text,
      delivered_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
  ],
};
