import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { fetchBuiltOpenApi, OPENAPI_PATH, openApiJson } from '../test/support/openapi';

/**
 * `npm run openapi`: builds the apps, boots the built api and writes its OpenAPI document to
 * docs/openapi.json. Commit the result: test/openapi-drift.e2e-spec.ts fails when the running app's
 * document and the committed one differ.
 */
async function main(): Promise<void> {
  const json = openApiJson(await fetchBuiltOpenApi());
  mkdirSync(dirname(OPENAPI_PATH), { recursive: true });
  writeFileSync(OPENAPI_PATH, json);
  const paths = Object.keys((JSON.parse(json) as { paths: object }).paths).length;
  console.log(`wrote ${relative(process.cwd(), OPENAPI_PATH)} (${paths} paths)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
