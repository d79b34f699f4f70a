import type { AppEnv } from '@ipp/platform';
import type { Hono } from 'hono';
import { html } from 'hono/html';
import { layout } from '../views/layout.ts';

const keyForm = html`<h1>API key</h1>
<p>When the platform is set up to need API keys, its pages send yours with every request they make for you.
It is kept in this browser tab only (session storage): closing the tab forgets it, and it is never sent
anywhere but this platform's API.</p>
<div class="notice" data-key-state hidden></div>
<noscript><p class="notice">Keeping a key needs this page's script, which your browser is not running.</p></noscript>
<form id="key-form" action="/key" method="post" autocomplete="off">
  <div class="field">
    <label for="api-key">API key</label>
    <input id="api-key" name="api_key" type="password" autocomplete="off" spellcheck="false">
  </div>
  <div class="actions">
    <button type="submit" class="button">Keep for this tab</button>
    <button type="button" class="button secondary" data-forget-key>Forget the key</button>
  </div>
</form>`;

/**
 * `GET /key`: where a visitor gives the key the API asks for; the page's script keeps it in session
 * storage. A form posted without the script (so without keeping anything) is answered, never stored.
 */
export function mountKeyPage(app: Hono<AppEnv>) {
  app.get('/key', (c) => c.html(layout({ title: 'API key', section: 'key', body: keyForm })));
  app.post('/key', (c) =>
    c.html(
      layout({
        title: 'API key',
        section: 'key',
        body: html`<div class="error-summary" role="alert"><h2>The key was not kept</h2><p>Keeping a key needs this page's script, which did not run. Nothing was stored.</p></div>${keyForm}`,
      }),
      400,
    ),
  );
}
