import type { ProductImage } from '@ipp/contracts';
import { html } from 'hono/html';
import { formatBytes, percentSaved } from './format.ts';

/** A thumbnail's box: the image's own proportions within `size`, so nothing moves when it loads. */
function box(image: ProductImage, size: number) {
  if (!image.width || !image.height) return { width: size, height: size };
  const scale = size / Math.max(image.width, image.height);
  return { width: Math.max(1, Math.round(image.width * scale)), height: Math.max(1, Math.round(image.height * scale)) };
}

export function productThumbnail(image: ProductImage, alt: string, size: number) {
  const { width, height } = box(image, size);
  return html`<img src="${image.thumbnail_url ?? image.output_url}" alt="${alt}" width="${width}" height="${height}" loading="lazy" decoding="async">`;
}

/** One processed image of a product, with its sizes and where it came from. */
export function productImageCard(image: ProductImage, productName: string, index: number) {
  return html`<li class="image-card">
  <a href="${image.output_url}">${productThumbnail(image, `${productName}, image ${index + 1}`, 240)}</a>
  <p>${image.width && image.height ? `${image.width} × ${image.height}` : ''} ${image.format ? image.format.toUpperCase() : ''}</p>
  <p>${formatBytes(image.input_bytes)} → ${formatBytes(image.output_bytes)} (${percentSaved(image.input_bytes, image.output_bytes)})</p>
  <p><a href="${image.output_url}">Full image</a> · <a href="${image.input_url}">original</a>${image.request_id ? html` · <a href="/requests/${image.request_id}">request</a>` : ''}</p>
</li>`;
}
