import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { createLogger, endLogs } from './logger.ts';

let directory: string | undefined;
afterEach(() => (directory ? rm(directory, { recursive: true, force: true }) : undefined));

it('endLogs resolves once every line logged so far is written, the last one included', async () => {
  directory = await mkdtemp(join(tmpdir(), 'ipp-logger-'));
  const file = join(directory, 'log');
  const destination = pino.destination({ dest: file, sync: false });
  await new Promise((resolve) => destination.once('ready', resolve));
  const logger = createLogger({ service: 'test', destination: destination as unknown as NodeJS.WritableStream });
  for (let line = 0; line < 2000; line++) logger.info({ line }, 'working');
  logger.info('stopped');

  await endLogs(logger);

  const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
  expect(lines).toHaveLength(2001);
  expect(JSON.parse(lines.at(-1) ?? '{}')).toMatchObject({ service: 'test', message: 'stopped' });
});
