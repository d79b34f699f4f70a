// `npm run keys -- create --scope admin [--scope …] [--name …] [--expires-at ISO]`: mints a key straight into
// the database named by DATABASE_URL (migrating the schema first) and prints it once, for the first admin key
// of a deployment. `npm run keys -- revoke <id>` revokes one. In a container:
// `node services/auth/src/keys-cli.ts create --scope admin`.
import { parseArgs } from 'node:util';
import { CreateKeySchema } from '@ipp/contracts';
import { createPool, fieldErrors } from '@ipp/platform';
import { migrate } from '@ipp/platform/migrations';
import { loadAuthConfig } from './config.ts';
import { createKey, revokeKey } from './key-repository.ts';
import { migrations } from './migrations/index.ts';

const USAGE =
  'usage: keys create --scope <scope> [--scope …] [--name <name>] [--expires-at <ISO date>] | keys revoke <id>';

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    scope: { type: 'string', multiple: true, default: [] },
    name: { type: 'string', default: 'created with npm run keys' },
    'expires-at': { type: 'string' },
  },
});
const [command, id] = positionals;
if (command !== 'create' && command !== 'revoke') fail(`unknown command ${command ?? '(none)'}`);

const config = loadAuthConfig();
await migrate({ databaseUrl: config.DATABASE_URL, schema: 'auth', migrations });
const pool = createPool({ databaseUrl: config.DATABASE_URL, max: 1 });
try {
  if (command === 'create') {
    const parsed = CreateKeySchema.safeParse({
      name: values.name,
      scopes: values.scope,
      expires_at: values['expires-at'],
    });
    if (!parsed.success) {
      fail(
        fieldErrors(parsed.error, 'key')
          .map((error) => `${error.path}: ${error.message}`)
          .join('\n'),
      );
    }
    const created = await createKey(pool, parsed.data);
    process.stderr.write(`key ${created.id} (${created.scopes.join(', ')}); it is shown once, store it now:\n`);
    process.stdout.write(`${created.key}\n`);
  } else {
    if (!id) fail('revoke needs the key id');
    if (!(await revokeKey(pool, id))) fail(`no key ${id}`);
    process.stderr.write(`key ${id} revoked\n`);
  }
} finally {
  await pool.end();
}
