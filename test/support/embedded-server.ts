/**
 * Runs the embedded database server (PGlite behind its socket) in a process of its own, for tests
 * that talk to it with the `pg` driver: PGlite cannot start inside Jest's module sandbox. Prints
 * the endpoint as one JSON line once listening; stops cleanly on SIGTERM.
 *
 *   node -r ts-node/register/transpile-only test/support/embedded-server.ts <data dir>
 */
import 'reflect-metadata';
import { EmbeddedPostgres } from '../../libs/core/src/database/embedded-postgres';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: embedded-server.ts <data dir>');
const server = new EmbeddedPostgres(dataDir);
process.once('SIGTERM', () => {
  void server.stop().finally(() => process.exit(0));
});
void server.start().then((endpoint) => process.stdout.write(`${JSON.stringify(endpoint)}\n`));
