import { OUTPUT_FORMATS, type Problem, type UploadAccepted } from '@ipp/contracts';
import type { AppEnv } from '@ipp/platform';
import type { Hono } from 'hono';
import { html } from 'hono/html';
import type { ApiClient } from '../api-client.ts';
import { callerOf } from '../caller.ts';
import { needsKeyPanel } from '../views/components.ts';
import { layout } from '../views/layout.ts';
import { FORM_FIELDS, type RowErrors, sortUploadErrors } from '../views/upload-errors.ts';

type Values = Record<string, string>;
type Errors = ReturnType<typeof sortUploadErrors>;
const FIELD_LABELS: Record<string, string> = {
  file: 'CSV file',
  images: 'Image files',
  serial_number: 'Serial number',
  name: 'Product name',
  quality: 'Quality',
  format: 'Format',
  max_width: 'Maximum width',
  max_height: 'Maximum height',
  webhook_url: 'Webhook URL',
};

function fieldError(errors: Errors | undefined, name: string) {
  const messages = errors?.fields.get(name);
  if (!messages) return '';
  return html`<p class="field-error" id="${name}-error"><span class="visually-hidden">Error:</span> ${messages.join('; ')}</p>`;
}

function described(errors: Errors | undefined, name: string, hint?: string) {
  const ids = [hint ? `${name}-hint` : '', errors?.fields.has(name) ? `${name}-error` : ''].filter(Boolean);
  return ids.length ? html` aria-describedby="${ids.join(' ')}"` : '';
}

function input(options: {
  name: string;
  type: string;
  values: Values;
  errors?: Errors;
  hint?: string;
  extra?: string;
}) {
  const { name, type, values, errors, hint } = options;
  return html`<div class="field${errors?.fields.has(name) ? ' field-invalid' : ''}">
  <label for="${name}">${FIELD_LABELS[name]}</label>
  ${hint ? html`<p class="hint" id="${name}-hint">${hint}</p>` : ''}
  ${fieldError(errors, name)}
  <input id="${name}" name="${name}" type="${type}" value="${values[name] ?? ''}"${described(errors, name, hint)}${options.extra ? html` ${options.extra}` : ''}>
</div>`;
}

function rowTable(rows: RowErrors[]) {
  return html`<table class="row-errors">
  <caption>Rows of the CSV with problems</caption>
  <thead><tr><th scope="col">Row</th><th scope="col">Cells</th><th scope="col">Problems</th></tr></thead>
  <tbody>
  ${rows.map(
    (row) => html`<tr id="row-${row.row}">
    <th scope="row">${row.row}</th>
    <td>${row.cells.length ? html`<code>${row.cells.join(' | ')}</code>` : '—'}</td>
    <td><ul>${row.errors.map((error) => html`<li><strong>${error.column}</strong>: ${error.message}</li>`)}</ul></td>
  </tr>`,
  )}
  </tbody>
</table>`;
}

function errorSummary(problem: Problem, errors: Errors) {
  const links = [
    ...[...errors.fields.entries()].map(
      ([name, messages]) => html`<li><a href="#${name}">${FIELD_LABELS[name]}: ${messages.join('; ')}</a></li>`,
    ),
    ...errors.rows.map(
      (row) =>
        html`<li><a href="#row-${row.row}">Row ${row.row}: ${row.errors.map((error) => `${error.column} ${error.message}`).join('; ')}</a></li>`,
    ),
    ...errors.other.map((error) => html`<li>${error.path}: ${error.message}</li>`),
  ];
  return html`<div class="error-summary" role="alert" tabindex="-1" data-autofocus>
  <h2>There is a problem</h2>
  <p>${problem.detail || problem.title}</p>
  ${links.length ? html`<ul>${links}</ul>` : ''}
  <p class="hint">Request id: <code>${problem.request_id}</code></p>
</div>`;
}

/** The upload form; after a refused upload, the API's errors beside their fields and rows. */
export function uploadForm(values: Values = {}, failure?: { problem: Problem; errors: Errors }) {
  const errors = failure?.errors;
  const format = values.format ?? 'original';
  return html`<h1>Upload products and images</h1>
${failure && (failure.problem.status === 401 || failure.problem.status === 403) ? needsKeyPanel(failure.problem) : ''}
${failure && failure.problem.status !== 401 && failure.problem.status !== 403 ? errorSummary(failure.problem, failure.errors) : ''}
${errors?.rows.length ? rowTable(errors.rows) : ''}
<form id="upload-form" class="upload-form" action="/upload" method="post" enctype="multipart/form-data" novalidate>
  <div class="drop-zone" data-drop-zone>
    <p class="drop-hint">Drop a CSV or image files here, or choose them below.</p>
    <fieldset>
      <legend>A CSV of products</legend>
      <p class="hint">Columns: Serial Number, Product Name, Input Image Urls (several URLs separated by commas).</p>
      ${input({ name: 'file', type: 'file', values: {}, errors, extra: 'accept=".csv,text/csv"' })}
    </fieldset>
    <p class="or">or</p>
    <fieldset>
      <legend>Image files of one product</legend>
      ${input({ name: 'images', type: 'file', values: {}, errors, extra: 'accept="image/*" multiple' })}
      ${input({ name: 'serial_number', type: 'text', values, errors, extra: 'autocomplete="off"' })}
      ${input({ name: 'name', type: 'text', values, errors, extra: 'autocomplete="off"' })}
    </fieldset>
  </div>
  <details class="options"${errors && FORM_FIELDS.slice(4).some((name) => errors.fields.has(name)) ? ' open' : ''}>
    <summary>Processing options</summary>
    ${input({ name: 'quality', type: 'number', values, errors, hint: 'From 1 to 100; 50 when empty.', extra: 'min="1" max="100" inputmode="numeric"' })}
    <div class="field${errors?.fields.has('format') ? ' field-invalid' : ''}">
      <label for="format">${FIELD_LABELS.format}</label>
      ${fieldError(errors, 'format')}
      <select id="format" name="format"${described(errors, 'format')}>
        ${OUTPUT_FORMATS.map((option) => html`<option value="${option}"${option === format ? ' selected' : ''}>${option === 'original' ? 'Same as the original' : option.toUpperCase()}</option>`)}
      </select>
    </div>
    ${input({ name: 'max_width', type: 'number', values, errors, hint: 'In pixels; never enlarged.', extra: 'min="1" inputmode="numeric"' })}
    ${input({ name: 'max_height', type: 'number', values, errors, hint: 'In pixels; never enlarged.', extra: 'min="1" inputmode="numeric"' })}
    ${input({ name: 'webhook_url', type: 'url', values, errors, hint: 'Called once the request has finished.', extra: 'autocomplete="url"' })}
  </details>
  <div class="upload-progress" data-upload-progress hidden>
    <label for="upload-bytes">Sending</label>
    <progress id="upload-bytes" max="100" value="0"></progress>
    <span data-upload-text aria-live="polite"></span>
  </div>
  <button type="submit" class="button">Upload</button>
</form>`;
}

const TEXT_FIELDS = ['serial_number', 'name', 'quality', 'format', 'max_width', 'max_height', 'webhook_url'];

/** `GET /`: the form. `POST /upload`: passes the upload on to the API, then to its request page or back with errors. */
export function mountUploadPage(app: Hono<AppEnv>, api: ApiClient) {
  app.get('/', (c) =>
    c.html(layout({ title: 'Upload', section: 'upload', body: uploadForm(), scripts: ['/assets/upload.js'] })),
  );

  app.post('/upload', async (c) => {
    const form = await c.req.formData();
    // Empty inputs the browser sends anyway (no file chosen, a blank option) are left out: the API reads
    // a blank option as a value.
    const body = new FormData();
    const values: Values = {};
    let csv: string | undefined;
    for (const [name, value] of form.entries()) {
      if (typeof value === 'string') {
        if (TEXT_FIELDS.includes(name) && value.trim() !== '') {
          body.append(name, value.trim());
          values[name] = value;
        }
      } else if ((name === 'file' || name === 'images') && value.size > 0) {
        body.append(name, value, value.name);
        if (name === 'file') csv = await value.text();
      }
    }
    const caller = callerOf(c);
    const result = await api.upload<UploadAccepted>(body, caller);
    if (result.ok) return c.redirect(`/requests/${result.body.request_id}`, 303);
    const errors = sortUploadErrors(result.problem.errors ?? [], csv);
    return c.html(
      layout({
        title: 'Upload refused',
        section: 'upload',
        body: uploadForm(values, { problem: result.problem, errors }),
        scripts: ['/assets/upload.js'],
      }),
      result.status === 502 ? 502 : (result.status as 400),
    );
  });
}
