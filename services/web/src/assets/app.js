// Progressive enhancement shared by every page: the API key kept in this tab only, regions that refresh
// themselves from the server's HTML, and focus moved to an error summary. Every page works without it.
(() => {
  const KEY = 'ipp-api-key';
  const storedKey = () => sessionStorage.getItem(KEY);

  const ipp = {
    /** The visitor's key as a request header, when one is kept. */
    authHeaders() {
      const key = storedKey();
      return key ? { authorization: `Bearer ${key}` } : {};
    },
    /** Fetches this page again and swaps the element `id` for its new version; returns the new element. */
    async refresh(id) {
      const response = await fetch(location.href, { headers: { accept: 'text/html', ...ipp.authHeaders() } });
      const page = new DOMParser().parseFromString(await response.text(), 'text/html');
      const next = page.getElementById(id);
      const current = document.getElementById(id);
      if (!next || !current) return undefined;
      current.replaceWith(next);
      return next;
    },
    /** Links to the key page come back here once a key is kept. */
    pointKeyLinksHere() {
      for (const link of document.querySelectorAll('[data-needs-key] a[href="/key"]')) {
        link.href = `/key?return=${encodeURIComponent(location.pathname + location.search)}`;
      }
    },
  };
  window.ipp = ipp;

  /** A page the API refused without a key: with a key kept, ask again sending it. */
  async function retryWithKey() {
    if (!document.querySelector('[data-needs-key]')) return;
    ipp.pointKeyLinksHere();
    if (!storedKey()) return;
    const response = await fetch(location.href, { headers: { accept: 'text/html', ...ipp.authHeaders() } });
    const page = new DOMParser().parseFromString(await response.text(), 'text/html');
    const main = page.getElementById('main');
    if (!main || main.querySelector('[data-needs-key]')) return;
    document.getElementById('main').replaceChildren(...main.childNodes);
    document.dispatchEvent(new CustomEvent('ipp:main-replaced'));
  }

  function keyPage() {
    const form = document.getElementById('key-form');
    if (!form) return;
    const state = document.querySelector('[data-key-state]');
    const say = (text) => {
      state.textContent = text;
      state.hidden = false;
    };
    if (storedKey()) say('A key is kept for this tab.');
    const back = new URLSearchParams(location.search).get('return');
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const key = form.elements.api_key.value.trim();
      if (!key) return say('Enter a key first.');
      sessionStorage.setItem(KEY, key);
      form.reset();
      // Only a path on this site, never another origin.
      if (back?.startsWith('/') && !back.startsWith('//')) location.assign(back);
      else say('The key is kept for this tab.');
    });
    document.querySelector('[data-forget-key]').addEventListener('click', () => {
      sessionStorage.removeItem(KEY);
      say('The key is forgotten.');
    });
  }

  /** Regions marked `data-refresh="<ms>"` fetch themselves again while the page is visible. */
  function autoRefresh() {
    const region = document.querySelector('[data-refresh]');
    if (!region) return;
    const every = Number(region.dataset.refresh);
    setTimeout(async function tick() {
      if (!document.hidden) await ipp.refresh(region.id).catch(() => undefined);
      setTimeout(tick, every);
    }, every);
  }

  document.querySelector('[data-autofocus]')?.focus();
  keyPage();
  autoRefresh();
  retryWithKey();
})();
