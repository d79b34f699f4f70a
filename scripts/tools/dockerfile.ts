// A small Dockerfile reader: instructions with their line, grouped into stages, with build args expanded.
// Enough for the deploy checks; linting itself is dockerfile-utils' job.

export type Instruction = { keyword: string; args: string; line: number };
export type Stage = { name: string; base: string; instructions: Instruction[] };
export type Dockerfile = { globalArgs: Record<string, string>; stages: Stage[] };

function logicalLines(text: string) {
  const lines: { text: string; line: number }[] = [];
  let current: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (current === undefined && (trimmed === '' || trimmed.startsWith('#'))) return;
    if (current !== undefined && trimmed.startsWith('#')) return;
    const continued = trimmed.endsWith('\\');
    const part = continued ? trimmed.slice(0, -1).trimEnd() : trimmed;
    current = current === undefined ? { text: part, line: index + 1 } : { ...current, text: `${current.text} ${part}` };
    if (!continued) {
      lines.push(current);
      current = undefined;
    }
  });
  return lines;
}

/** Expands `${NAME}` and `$NAME` from `values`, leaving unknown names as written. */
function expand(text: string, values: Record<string, string>) {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced, bare) => values[braced ?? bare] ?? whole);
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const { text: content, line } of logicalLines(text)) {
    const [word = '', ...rest] = content.split(/\s+/);
    const keyword = word.toUpperCase();
    const args = content.slice(word.length).trim();
    const stage = stages.at(-1);
    if (keyword === 'FROM') {
      const [base = '', as, name] = expand(args, globalArgs).split(/\s+/);
      stages.push({ name: as?.toUpperCase() === 'AS' && name ? name : String(stages.length), base, instructions: [] });
    } else if (stage !== undefined) {
      stage.instructions.push({ keyword, args, line });
    } else if (keyword === 'ARG' && rest.length > 0) {
      const [name = '', value = ''] = args.split('=');
      globalArgs[name] = value;
    }
  }
  return { globalArgs, stages };
}

/** `KEY=value KEY2="value 2"` pairs, as ENV and LABEL write them. */
export function parsePairs(args: string) {
  const pairs: Record<string, string> = {};
  for (const [, key = '', value = ''] of args.matchAll(/(\S+?)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    pairs[key] = value.startsWith('"') ? JSON.parse(value) : value;
  }
  return pairs;
}

/** The exec (JSON array) form of CMD, ENTRYPOINT or `HEALTHCHECK ... CMD`; throws on the shell form. */
export function execForm(args: string) {
  const json = args.slice(args.indexOf('['));
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string')) {
    throw new Error(`expected the exec form (a JSON array of strings): ${args}`);
  }
  return parsed as string[];
}
