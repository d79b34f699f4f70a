import { type ErrorCode, errorExplanation, errorStatus, errorTitle, problemType } from '@ipp/contracts';
import type { StaticPage } from './docs.ts';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"]/g, (character) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot' }[character]};`);
// The explanations mark names with backticks; shown as code.
const render = (text: string) => escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');

function pageOf(code: ErrorCode): string {
  const title = `${errorStatus[code]} ${errorTitle[code]}`;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)} — Image Processing Platform</title></head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<p>Problem type <code>${problemType(code)}</code>, HTTP status ${errorStatus[code]}.</p>
<p>${render(errorExplanation[code])}</p>
<p>Every problem is <code>application/problem+json</code>: <code>type</code> (this page), <code>title</code>,
<code>status</code>, <code>detail</code> (what went wrong with this request), <code>request_id</code> and, for
invalid input, <code>errors</code> with the <code>path</code> and <code>message</code> of each field.
See the <a href="/api/docs">API reference</a>.</p>
</main>
</body>
</html>
`;
}

/** One page per problem type, at the path its `type` URI names. */
export function renderProblemPages(): Record<string, StaticPage> {
  return Object.fromEntries(
    (Object.keys(errorStatus) as ErrorCode[]).map((code) => [
      problemType(code),
      { contentType: 'text/html; charset=utf-8', body: Buffer.from(pageOf(code)) },
    ]),
  );
}
