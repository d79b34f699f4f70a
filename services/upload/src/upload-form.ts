import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { AppError } from '@ipp/platform';
import { type ObjectStorage, uploadKey } from '@ipp/platform/storage';
import busboy from 'busboy';
import { type ImageType, sniffImage } from './image-sniff.ts';

export type StoredImage = { key: string; type: ImageType; bytes: number; sha256: string; filename: string };
export type UploadForm = { fields: Record<string, string>; csv: Buffer | undefined; images: StoredImage[] };

const SNIFF_BYTES = 16;
const FIELDS_MAX = 20;
const IMAGES_MAX = 100;
// Room for every field and image plus a few strays; beyond it the parts are not even kept track of.
const PARTS_MAX = FIELDS_MAX + IMAGES_MAX + 10;

const tooLarge = (maxBytes: number) => new AppError('payload_too_large', `The upload exceeds ${maxBytes} bytes`);

/**
 * Streams an image part into storage, hashing it: its first bytes are sniffed before anything is stored,
 * so the key carries the real type and a part that is not an image is refused without a write. A part that
 * fails midway (the client left) stores nothing: `put` is all or nothing.
 */
async function storeImage(stream: Readable, storage: ObjectStorage, filename: string): Promise<StoredImage> {
  const hash = createHash('sha256');
  let head = Buffer.alloc(0);
  let bytes = 0;
  let sniffed: (head: Buffer) => void = () => {};
  const headRead = new Promise<Buffer>((resolve) => (sniffed = resolve));
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      if (head.length < SNIFF_BYTES) {
        head = Buffer.concat([head, chunk.subarray(0, SNIFF_BYTES)]);
        if (head.length >= SNIFF_BYTES) sniffed(head);
      }
      callback(null, chunk);
    },
    flush(callback) {
      sniffed(head);
      callback();
    },
  });
  const flowing = pipeline(stream, tap);
  const type = sniffImage(await Promise.race([headRead, flowing.then(() => headRead)]));
  if (!type) {
    // The refusal stops the whole body; this part's pipeline ends with it, heard here.
    flowing.catch(() => undefined);
    tap.destroy();
    throw new AppError(
      'unsupported_media_type',
      `"${filename}" is not a supported image (JPEG, PNG, GIF, WebP, AVIF, HEIF, TIFF)`,
    );
  }
  const key = uploadKey(type.extension);
  // A part that failed keeps its own error; storage failing on a whole part is the service's trouble (503).
  const stored = storage.put(key, tap, { contentType: type.contentType }).catch((error: unknown) => {
    throw tap.errored
      ? error
      : new AppError('unavailable', 'The image could not be stored; try again later', { cause: error });
  });
  await Promise.all([stored, flowing]);
  return { key, type, bytes, sha256: hash.digest('hex'), filename };
}

function refusalFor(csvParts: number, imageParts: number) {
  if (csvParts > 0 && imageParts > 0)
    return new AppError('validation_failed', 'Send either a CSV file or images, not both');
  if (csvParts > 1) return new AppError('validation_failed', 'Send one CSV file per upload');
  if (imageParts > IMAGES_MAX) return new AppError('validation_failed', `At most ${IMAGES_MAX} images per upload`);
  return undefined;
}

/**
 * Parses `multipart/form-data` as a stream within `maxBytes`: text fields, a `file` part held in memory
 * (a CSV) and `images` parts written to storage under generated keys. Every stored file is removed again
 * when the form turns out to be bad.
 */
export async function readUploadForm(request: Request, options: { maxBytes: number; storage: ObjectStorage }) {
  const { maxBytes, storage } = options;
  const contentType = request.headers.get('content-type') ?? '';
  if (!/^multipart\/form-data\s*;/i.test(contentType)) {
    throw new AppError('unsupported_media_type', 'The upload must be multipart/form-data');
  }
  if (Number(request.headers.get('content-length') ?? 0) > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) throw new AppError('validation_failed', 'The upload has no body');

  const form: UploadForm = { fields: {}, csv: undefined, images: [] };
  const pending: Promise<unknown>[] = [];
  const streams: Readable[] = [];
  let refusal: AppError | undefined;
  let csvParts = 0;
  let imageParts = 0;
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      callback(received > maxBytes ? tooLarge(maxBytes) : null, chunk);
    },
  });
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      defParamCharset: 'utf8',
      limits: { fields: FIELDS_MAX, fieldSize: 64 * 1024, parts: PARTS_MAX },
    });
  } catch (error) {
    throw new AppError('validation_failed', 'Malformed multipart body', { cause: error });
  }
  // A part that fails (not an image, a full disk) stops reading the body at once; a body that fails
  // (the client went away) destroys the part being read with its error. Every part is therefore awaited
  // through a promise that has a handler from the start: no error of either kind goes unheard.
  const track = (work: Promise<unknown>) => {
    pending.push(work);
    work.catch((error: unknown) => counter.destroy(error as Error));
  };
  parser.on('partsLimit', () => {
    refusal ??= new AppError('validation_failed', `At most ${PARTS_MAX} parts per upload`);
  });
  parser.on('field', (name, value) => {
    form.fields[name] = value;
  });
  parser.on('file', (name, stream, info) => {
    streams.push(stream);
    if (name === 'file') csvParts += 1;
    if (name === 'images') imageParts += 1;
    refusal ??= refusalFor(csvParts, imageParts);
    if (refusal || (name !== 'file' && name !== 'images')) {
      // Read and dropped; its end or its error is still awaited.
      track(finished(stream.resume()));
    } else if (name === 'file') {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      track(finished(stream).then(() => (form.csv = Buffer.concat(chunks))));
    } else {
      const index = imageParts - 1;
      // Kept in the order the parts arrived, whichever finishes writing first.
      track(storeImage(stream, storage, info.filename || 'image').then((image) => (form.images[index] = image)));
    }
  });
  try {
    await pipeline(Readable.fromWeb(request.body as WebReadableStream), counter, parser);
    const failure = (await Promise.allSettled(pending)).find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
    if (refusal) throw refusal;
  } catch (error) {
    for (const stream of streams) stream.destroy();
    await Promise.allSettled(pending);
    await discardImages(form, storage);
    if (error instanceof AppError) throw error;
    throw new AppError('validation_failed', 'Malformed multipart body', { cause: error });
  }
  return form;
}

export async function discardImages(form: UploadForm, storage: ObjectStorage) {
  await Promise.all(form.images.map((image) => storage.delete(image.key)));
}
