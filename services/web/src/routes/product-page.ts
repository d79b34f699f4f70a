import type { Product } from '@ipp/contracts';
import type { AppEnv } from '@ipp/platform';
import type { Hono } from 'hono';
import { html } from 'hono/html';
import type { ApiClient } from '../api-client.ts';
import { callerOf } from '../caller.ts';
import { failurePanel } from '../views/components.ts';
import { formatDate } from '../views/format.ts';
import { layout } from '../views/layout.ts';
import { productImageCard } from '../views/product-image.ts';

function productDetails(product: Product) {
  return html`<h1>${product.name}</h1>
<dl class="details">
  <div><dt>Serial number</dt><dd>${product.serial_number}</dd></div>
  ${product.description ? html`<div><dt>Description</dt><dd>${product.description}</dd></div>` : ''}
  <div><dt>Created</dt><dd>${formatDate(product.created_at)}</dd></div>
  <div><dt>Updated</dt><dd>${formatDate(product.updated_at)}</dd></div>
</dl>
<h2>Images (${product.images.length})</h2>
${product.images.length ? html`<ul class="images">${product.images.map((image, index) => productImageCard(image, product.name, index))}</ul>` : html`<p>No processed images yet.</p>`}`;
}

/** `GET /products/:id`: one product and every processed image of it. */
export function mountProductPage(app: Hono<AppEnv>, api: ApiClient) {
  app.get('/products/:id', async (c) => {
    const id = c.req.param('id');
    const result = await api.get<Product>(`/api/products/${encodeURIComponent(id)}`, callerOf(c));
    const body = result.ok
      ? productDetails(result.body)
      : html`<h1>Product</h1>${failurePanel(result.problem)}<p><a href="/products">All products</a></p>`;
    const title = result.ok ? result.body.name : 'Product';
    return c.html(layout({ title, section: 'products', body }), result.ok ? 200 : (result.status as 404));
  });
}
