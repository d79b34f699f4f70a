// A real browser for whole-stack tests: Debian's chromium (installed by scripts/tools/chromium.sh, as
// CI installs its other tools) driven by playwright-core, which downloads no browser of its own.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

const INSTALL = fileURLToPath(new URL('../../scripts/tools/chromium.sh', import.meta.url));

export async function launchBrowser(): Promise<Browser> {
  const executablePath = execFileSync('bash', [INSTALL], { encoding: 'utf8' }).trim();
  return chromium.launch({ executablePath, args: ['--no-sandbox'] });
}

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

/**
 * Every Content-Security-Policy violation and script error the page reports, to assert there are none.
 * (A resource answering 4xx is logged as an error too; those are the API's answers, asserted elsewhere.)
 */
export function watchPage(page: Page) {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      problems.push(message.text());
    }
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return problems;
}
