import type { UploadStatus } from '@ipp/contracts';
import type { AppEnv } from '@ipp/platform';
import type { Hono } from 'hono';
import { html } from 'hono/html';
import type { ApiClient } from '../api-client.ts';
import { callerOf } from '../caller.ts';
import { failurePanel, progressBar, statusTag } from '../views/components.ts';
import { formatDate } from '../views/format.ts';
import { layout } from '../views/layout.ts';
import { uploadItem } from '../views/upload-item.ts';

const FINISHED = new Set(['completed', 'completed_with_errors', 'failed']);

/** The part of the page that live updates replace: totals, progress, every item. */
export function requestPanel(status: UploadStatus) {
  const finished = FINISHED.has(status.status);
  const outputCsv = `/api/uploads/${status.request_id}/output.csv`;
  return html`<section id="request-live" data-request-id="${status.request_id}" data-finished="${String(finished)}" aria-labelledby="totals-heading">
  <h2 id="totals-heading" class="visually-hidden">Totals</h2>
  <dl class="totals">
    <div><dt>State</dt><dd data-field="status">${statusTag(status.status)}</dd></div>
    <div><dt>Images</dt><dd data-field="total">${status.total}</dd></div>
    <div><dt>Processed</dt><dd data-field="processed">${status.processed}</dd></div>
    <div><dt>Failed</dt><dd data-field="failed">${status.failed}</dd></div>
    <div><dt>Started</dt><dd>${formatDate(status.created_at)}</dd></div>
    <div><dt>Finished</dt><dd>${formatDate(status.completed_at)}</dd></div>
  </dl>
  ${progressBar({ value: status.progress, label: 'Images finished', id: 'request-progress' })}
  <p class="live-note" data-live-note aria-live="polite">${finished ? 'This request has finished.' : 'Processing; this page follows it live.'}</p>
  ${finished && status.output_csv_url ? html`<p><a class="button" href="${outputCsv}" download="${status.request_id}.csv" data-with-key>Download the output CSV</a> <span data-download-state aria-live="polite"></span></p>` : ''}
  ${status.webhook ? html`<p>Webhook to <code>${status.webhook.url}</code>: ${status.webhook.status}, ${status.webhook.attempts} attempt(s).</p>` : ''}
  <h2>Images</h2>
  <ol class="items">${status.items.map(uploadItem)}</ol>
</section>`;
}

/** `GET /requests/:id`: one upload request as it stands, followed live by /assets/live.js. */
export function mountRequestPage(app: Hono<AppEnv>, api: ApiClient) {
  app.get('/requests/:id', async (c) => {
    const id = c.req.param('id');
    const result = await api.get<UploadStatus>(`/api/uploads/${encodeURIComponent(id)}`, callerOf(c));
    const body = result.ok
      ? html`<h1>Request <code class="request-id">${id}</code></h1>${requestPanel(result.body)}`
      : html`<h1>Request</h1>${failurePanel(result.problem)}`;
    return c.html(
      layout({ title: `Request ${id.slice(0, 8)}`, section: 'requests', body, scripts: ['/assets/live.js'] }),
      result.ok ? 200 : (result.status as 404),
    );
  });
}
