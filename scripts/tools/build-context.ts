// Which files `docker build .` sends: the repository filtered by .dockerignore (Docker's rules: `*`,
// `?`, `**`, a pattern also excludes everything under a matching directory, `!` re-includes, last match wins).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

type Rule = { negate: boolean; pattern: RegExp; text: string };

function toRegExp(pattern: string) {
  let source = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const character = pattern.charAt(index);
    if (character === '*' && pattern[index + 1] === '*') {
      index += 1;
      if (pattern[index + 1] === '/') {
        index += 1;
        source += '(?:.*/)?';
      } else {
        source += '.*';
      }
    } else if (character === '*') {
      source += '[^/]*';
    } else if (character === '?') {
      source += '[^/]';
    } else {
      source += character.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

export function readIgnoreRules(contextDir: string): Rule[] {
  return readFileSync(join(contextDir, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const text = (negate ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      return { negate, pattern: toRegExp(text), text };
    });
}

/** Whether Docker leaves `relativePath` (forward slashes) out of the build context. */
export function isIgnored(rules: Rule[], relativePath: string) {
  const parts = relativePath.split('/');
  const candidates = parts.map((_, index) => parts.slice(0, index + 1).join('/'));
  let ignored = false;
  for (const rule of rules) {
    if (candidates.some((candidate) => rule.pattern.test(candidate))) ignored = !rule.negate;
  }
  return ignored;
}
