import type { FieldError, Problem } from '@ipp/contracts';
import { html } from 'hono/html';
import { statusWords } from './format.ts';

/** A state as a coloured tag with its words, so colour is never the only signal. */
export function statusTag(status: string) {
  return html`<span class="tag tag-${status}">${statusWords(status)}</span>`;
}

/** A progress bar that reads the same with or without its live updates. */
export function progressBar(options: { value: number; label: string; id?: string }) {
  const percent = Math.round(options.value * 1000) / 10;
  return html`<div class="progress"><progress${options.id ? html` id="${options.id}"` : ''} max="100" value="${percent}" aria-label="${options.label}">${percent} %</progress><span class="progress-value" data-progress-text>${percent} %</span></div>`;
}

/** Previous / next links and where we are; every page of results is a URL of its own. */
export function pagination(options: { page: number; pages: number; href: (page: number) => string }) {
  const { page, pages, href } = options;
  if (pages <= 1) return '';
  return html`<nav class="pagination" aria-label="Pages">
  ${page > 1 ? html`<a rel="prev" href="${href(page - 1)}">← Previous</a>` : html`<span></span>`}
  <span>Page ${page} of ${pages}</span>
  ${page < pages ? html`<a rel="next" href="${href(page + 1)}">Next →</a>` : html`<span></span>`}
</nav>`;
}

/** The API's answer when it refused or failed, in words, with the request id to quote. */
export function problemPanel(problem: Problem, options: { heading?: string } = {}) {
  return html`<div class="error-summary" role="alert" tabindex="-1" data-autofocus>
  <h2>${options.heading ?? problem.title}</h2>
  ${problem.detail ? html`<p>${problem.detail}</p>` : ''}
  ${problem.errors?.length ? html`<ul>${problem.errors.map((error: FieldError) => html`<li>${error.path}: ${error.message}</li>`)}</ul>` : ''}
  <p class="hint">Request id: <code>${problem.request_id}</code></p>
</div>`;
}

/** Shown where data needs an API key the visitor has not given (or the one given was refused). */
export function needsKeyPanel(problem: Problem) {
  return html`<div class="notice" data-needs-key>
  <h2>This needs an API key</h2>
  <p>The platform asks for an API key to show this. <a href="/key">Enter your key</a>; it is kept in this browser tab only.</p>
  <p class="hint">${problem.detail}</p>
</div>`;
}

/** What a page shows when the API did not give it its data. */
export function failurePanel(problem: Problem) {
  return problem.status === 401 || problem.status === 403 ? needsKeyPanel(problem) : problemPanel(problem);
}
