/** The separator between serial number and name in the `search_text` column (see the migration). */
export const SEARCH_TEXT_SEPARATOR = '\n';

/** A LIKE pattern matching `term` anywhere, with `%`, `_` and `\` taken literally. */
export function containsPattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}
