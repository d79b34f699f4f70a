import type { ImageProcessJob } from '@ipp/contracts';

/** `count` jobs of one new request, item `index` fetching `source(index)`, with the default options. */
export function jobsOf(count: number, source: (index: number) => ImageProcessJob['source']): ImageProcessJob[] {
  const requestId = crypto.randomUUID();
  return Array.from({ length: count }, (_, index) => ({
    message_id: crypto.randomUUID(),
    type: 'image.process',
    version: 1,
    occurred_at: new Date().toISOString(),
    request_id: requestId,
    item_id: crypto.randomUUID(),
    source: source(index),
    options: { quality: 50, format: 'original', max_width: null, max_height: null },
    product: { id: null, serial_number: `SKU-${index}`, name: 'Item' },
  }));
}
