import type { Migration } from '@ipp/platform/migrations';

/**
 * Versions for the live progress stream (`GET /api/uploads/{id}/events`, decision 0020). Every change a
 * subscriber sees bumps its request's `version`, under the request's row lock, so versions grow in commit
 * order per request and "changed after n" is `version > n` — an exact resume from Last-Event-ID. An item
 * keeps the version of its last change; a request keeps, in `summary_version`, that of its last change of
 * counters or status. A commit that changed a request notifies `upload_request_changed` with its id (ids
 * only: NOTIFY payloads are limited to 8000 bytes; listeners read the rows).
 *
 * The item trigger locks the request after the item, so every writer that changes items must lock their
 * requests first (as applyImageEvent, the outbox relay and the stalled-items sweep do), else two
 * transactions could deadlock.
 */
export const addChangeVersions: Migration = {
  up: [
    `ALTER TABLE upload.requests ADD COLUMN version bigint NOT NULL DEFAULT 0,
       ADD COLUMN summary_version bigint NOT NULL DEFAULT 0`,
    'ALTER TABLE upload.items ADD COLUMN version bigint NOT NULL DEFAULT 0',
    'CREATE INDEX items_request_version_idx ON upload.items (request_id, version)',
    `CREATE FUNCTION upload.item_changed() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       UPDATE upload.requests SET version = version + 1 WHERE id = NEW.request_id RETURNING version INTO NEW.version;
       RETURN NEW;
     END $$`,
    `CREATE TRIGGER items_version BEFORE UPDATE ON upload.items FOR EACH ROW
     WHEN ((OLD.status, OLD.output_url, OLD.thumbnail_url, OLD.error, OLD.input_bytes, OLD.output_bytes)
       IS DISTINCT FROM (NEW.status, NEW.output_url, NEW.thumbnail_url, NEW.error, NEW.input_bytes, NEW.output_bytes))
     EXECUTE FUNCTION upload.item_changed()`,
    `CREATE FUNCTION upload.request_changed() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF (OLD.status, OLD.total, OLD.processed, OLD.failed, OLD.completed_at)
          IS DISTINCT FROM (NEW.status, NEW.total, NEW.processed, NEW.failed, NEW.completed_at) THEN
         NEW.version := NEW.version + 1;
         NEW.summary_version := NEW.version;
       END IF;
       IF NEW.version <> OLD.version THEN
         PERFORM pg_notify('upload_request_changed', NEW.id::text);
       END IF;
       RETURN NEW;
     END $$`,
    'CREATE TRIGGER requests_version BEFORE UPDATE ON upload.requests FOR EACH ROW EXECUTE FUNCTION upload.request_changed()',
  ],
};
