import type { UploadItem } from '@ipp/contracts';
import { html } from 'hono/html';
import { statusTag } from './components.ts';
import { formatBytes, percentSaved } from './format.ts';
import { explainItemError } from './item-error.ts';

export const THUMBNAIL_SIZE = 160;

function figure(options: {
  src: string | null;
  alt: string;
  caption: string;
  bytes: number | null;
  href: string | null;
  /** Said in the thumbnail's box when there is no image to show. */
  missing: string;
}) {
  const { src, alt, caption, bytes, href, missing } = options;
  const image = src
    ? html`<img src="${src}" alt="${alt}" width="${THUMBNAIL_SIZE}" height="${THUMBNAIL_SIZE}" loading="lazy" decoding="async">`
    : html`<span class="placeholder">${missing}</span>`;
  return html`<figure class="thumb">
  ${image}
  <figcaption>${caption}: ${formatBytes(bytes)}${href ? html` · <a href="${href}">full image<span class="visually-hidden"> (${alt})</span></a>` : ''}</figcaption>
</figure>`;
}

/** One image of a request: its state, what went wrong in plain words, and the original beside the output. */
export function uploadItem(item: UploadItem, index: number) {
  const error = item.error ? explainItemError(item.error) : undefined;
  return html`<li class="item item-${item.status}" id="item-${index + 1}">
  <div class="item-head">
    <h3>${item.product_name} <span class="serial">${item.serial_number}</span></h3>
    ${statusTag(item.status)}
  </div>
  ${error ? html`<p class="item-error"><strong>Not processed.</strong> ${error.words}${error.detail ? html` <span class="hint">(${error.detail})</span>` : ''}</p>` : ''}
  <div class="pair">
    ${figure({ src: item.status === 'failed' && item.input_bytes === null ? null : item.input_url, alt: `Original of ${item.product_name}`, caption: 'Original', bytes: item.input_bytes, href: item.input_url, missing: 'Original not fetched' })}
    ${figure({ src: item.thumbnail_url, alt: `Processed ${item.product_name}`, caption: 'Processed', bytes: item.output_bytes, href: item.output_url, missing: item.status === 'failed' ? 'No processed image' : 'Not processed yet' })}
  </div>
  ${item.output_bytes !== null ? html`<p class="saving">${percentSaved(item.input_bytes, item.output_bytes)}</p>` : ''}
</li>`;
}
