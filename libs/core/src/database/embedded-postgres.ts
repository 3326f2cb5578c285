import { PGlite, type Extension } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, type AppConfig } from '../config/app-config';

/** Where the `pg` driver finds the embedded server: a Unix socket in a private folder. */
export interface EmbeddedEndpoint {
  host: string;
  port: number;
}

/**
 * PGlite's btree_gin, which the search indexes need (migration 1765800000001). Its module is one of
 * the package's `exports` subpaths, which this project's `node` module resolution cannot type, so it
 * is required (Node resolves the subpath) and typed with the package's own Extension type.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { btree_gin } = require('@electric-sql/pglite/contrib/btree_gin') as { btree_gin: Extension };

const SOCKET_PORT = 5432;
/**
 * The pool uses one connection, but when it replaces a connection that broke, the new one can
 * arrive before the server has noticed the old one is gone. A server at its limit turns the
 * newcomer away and never closes that socket, which then holds the limit for good: every later
 * connection is refused until a restart. Spare slots let a replacement in.
 */
const SOCKET_SLOTS = 4;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PostgreSQL compiled to WASM (PGlite), stored under DATA_DIR and served to the normal `pg` driver
 * over a Unix socket that only this user can reach. PGlite is single-session: every connection
 * shares that one session, so the pool in front of it has size 1 and resets the session for each
 * new connection (see dataSourceOptions).
 */
export class EmbeddedPostgres {
  private db?: PGlite;
  private server?: PGLiteSocketServer;
  private socketDir?: string;
  private lockFile?: string;
  private started?: EmbeddedEndpoint;

  constructor(private readonly dataDir: string) {}

  /** Where the running server listens; only valid after start(). */
  get endpoint(): EmbeddedEndpoint {
    if (!this.started) throw new Error('EmbeddedPostgres.start() has not completed');
    return this.started;
  }

  async start(): Promise<EmbeddedEndpoint> {
    mkdirSync(this.dataDir, { recursive: true });
    this.acquireLock();
    // btree_gin: the search indexes put the owner's id beside the lexemes (migration 1765800000001).
    this.db = await PGlite.create(join(this.dataDir, 'pgdata'), { extensions: { btree_gin } });
    this.socketDir = mkdtempSync(join(tmpdir(), 'agents-pg-'));
    this.server = new PGLiteSocketServer({
      db: this.db,
      path: join(this.socketDir, `.s.PGSQL.${SOCKET_PORT}`),
      maxConnections: SOCKET_SLOTS,
    });
    await this.server.start();
    this.started = { host: this.socketDir, port: SOCKET_PORT };
    return this.started;
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    await this.db?.close();
    if (this.socketDir) rmSync(this.socketDir, { recursive: true, force: true });
    if (this.lockFile) rmSync(this.lockFile, { force: true });
    this.server = undefined;
    this.db = undefined;
    this.started = undefined;
  }

  /** Two processes writing one PGlite folder would corrupt it: refuse clearly instead. */
  private acquireLock(): void {
    const file = join(this.dataDir, 'pglite.lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        this.lockFile = file;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const pid = Number(readFileSync(file, 'utf8').trim());
        if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
          throw new ConfigError(
            `DATA_DIR ${this.dataDir} is in use by process ${pid}; the embedded database allows one process. ` +
              'Stop it, choose another DATA_DIR, or set DATABASE_URL to share a PostgreSQL server.',
          );
        }
        rmSync(file, { force: true }); // stale lock from a process that is gone
      }
    }
    throw new ConfigError(`DATA_DIR ${this.dataDir}: cannot create pglite.lock`);
  }
}

/** In the embedded mode, starts PGlite before the application is built, so that a locked or
 * unreadable DATA_DIR is reported as one clear line by main(). Returns null in the distributed mode. */
export async function startEmbeddedIfNeeded(
  config: Pick<AppConfig, 'mode' | 'dataDir'>,
): Promise<EmbeddedPostgres | null> {
  if (config.mode !== 'embedded') return null;
  const embedded = new EmbeddedPostgres(config.dataDir);
  try {
    await embedded.start();
  } catch (err) {
    await embedded.stop().catch(() => undefined);
    throw err;
  }
  return embedded;
}
