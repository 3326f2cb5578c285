import { existsSync, readFileSync } from 'node:fs';
import { fetchBuiltOpenApi, OPENAPI_PATH, openApiJson } from './support/openapi';

/**
 * docs/openapi.json is the HTTP contract as the code states it (docs/http-api.md explains it). It is
 * generated from the built app, so it cannot drift from the routes: when a route, DTO, bound or
 * example changes, this fails until the document is regenerated and committed with the change.
 */
describe('docs/openapi.json', () => {
  it('equals the OpenAPI document the built api serves at /api/docs-json', async () => {
    const served = openApiJson(await fetchBuiltOpenApi());
    const committed = existsSync(OPENAPI_PATH) ? readFileSync(OPENAPI_PATH, 'utf8') : '';
    if (served !== committed) {
      throw new Error(
        `docs/openapi.json differs from the document the built api serves (${firstDifference(committed, served)}).\n` +
          'Run `npm run openapi` and commit docs/openapi.json with the change.',
      );
    }
  }, 90_000);
});

/** Where two texts part, as "line N: committed … / served …", to point at the route or schema. */
function firstDifference(committed: string, served: string): string {
  if (committed === '') return 'docs/openapi.json is missing';
  const [a, b] = [committed.split('\n'), served.split('\n')];
  const line = a.findIndex((text, i) => text !== b[i]);
  const at = line === -1 ? a.length : line;
  return `first at line ${at + 1}: committed ${JSON.stringify(a[at]?.trim())}, served ${JSON.stringify(b[at]?.trim())}`;
}
