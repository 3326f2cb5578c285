import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnApi, waitFor } from './process';

/** The committed OpenAPI document: `npm run openapi` writes it, test/openapi-drift.e2e-spec.ts checks it. */
export const OPENAPI_PATH = join(__dirname, '../../docs/openapi.json');

/**
 * The OpenAPI document as the BUILT api serves it at /api/docs-json. Only the built app's document
 * is complete: the Swagger CLI plugin, which documents DTOs, their bounds and examples, runs at build
 * time. The api runs in the embedded mode (its own PGlite in a temporary DATA_DIR, nothing else
 * needed) and is stopped before this returns.
 */
export async function fetchBuiltOpenApi(): Promise<unknown> {
  const dataDir = mkdtempSync(join(tmpdir(), 'agents-openapi-'));
  const api = spawnApi({ DATA_DIR: dataDir, PORT: String(await freePort()), HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
  try {
    await waitFor(`${api.baseUrl}/api/health/ready`).catch((err: Error) => {
      throw new Error(`${err.message}\n--- api output ---\n${api.output()}`);
    });
    const res = await fetch(`${api.baseUrl}/api/docs-json`);
    if (res.status !== 200) throw new Error(`GET /api/docs-json answered ${res.status}`);
    return await res.json();
  } finally {
    await api.stop('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Objects' keys in sorted order, recursively; arrays keep their order. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}

/** The document as committed: keys in a stable order, pretty-printed, ending with a newline. */
export function openApiJson(document: unknown): string {
  return `${JSON.stringify(sortKeys(document), null, 2)}\n`;
}
