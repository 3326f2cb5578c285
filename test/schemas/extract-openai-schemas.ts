/**
 * Extracts the parts of OpenAI's published OpenAPI document that the schema tests need, so that
 * nothing is fetched when tests run. Usage, from a clone of github.com/openai/openai-openapi:
 *
 *   git -C <clone> show <commit>:openapi.json > /tmp/openapi.json
 *   npx ts-node test/schemas/extract-openai-schemas.ts /tmp/openapi.json <commit>
 *
 * Writes test/schemas/openai/components.json (the response schemas and everything they reference,
 * verbatim but for documentation-only keywords) and test/schemas/openai/request-parameters.json
 * (the parameter names OpenAI defines for its request bodies).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** The response shapes this service returns; their dependencies come along. */
const RESPONSE_ROOTS = [
  'CreateChatCompletionResponse',
  'CreateChatCompletionStreamResponse',
  'Response',
  'ResponseStreamEvent',
  'Model',
  'ListModelsResponse',
  'ErrorResponse',
];

/** Request bodies whose parameter names are recorded (and the nested objects clients fill in). */
const REQUEST_ROOTS = ['CreateChatCompletionRequest', 'CreateResponse'];

/** Keywords that only document; dropping them keeps the file small without changing what validates. */
const DOC_ONLY = new Set(['description', 'example', 'examples', 'x-oaiMeta', 'x-oaiExpandable', 'title']);

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function withoutDocs(value: Json, propertyMap = false): Json {
  if (Array.isArray(value)) return value.map((v) => withoutDocs(v));
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, inner] of Object.entries(value)) {
    // Inside `properties` the keys are property names (a field may be called `description`).
    if (!propertyMap && DOC_ONLY.has(key)) continue;
    out[key] = withoutDocs(inner, !propertyMap && (key === 'properties' || key === 'patternProperties'));
  }
  return out;
}

function refsIn(value: Json, found: Set<string>): void {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, found));
  else if (isObject(value)) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string' && inner.startsWith('#/components/schemas/')) {
        found.add(inner.slice('#/components/schemas/'.length));
      } else refsIn(inner, found);
    }
  }
}

function closure(schemas: JsonObject, roots: string[]): string[] {
  const seen = new Set<string>();
  const pending = [...roots];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (seen.has(name)) continue;
    const schema = schemas[name];
    if (schema === undefined) throw new Error(`components.schemas.${name} is missing`);
    seen.add(name);
    const found = new Set<string>();
    refsIn(schema, found);
    pending.push(...found);
  }
  return [...seen].sort();
}

/** Top-level property names of a schema, through allOf/anyOf and $ref. */
function propertyNames(schemas: JsonObject, schema: Json | undefined, names = new Set<string>()): Set<string> {
  if (!isObject(schema)) return names;
  const ref = schema.$ref;
  if (typeof ref === 'string') return propertyNames(schemas, schemas[ref.split('/').pop()!], names);
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const parts = schema[key];
    if (Array.isArray(parts)) parts.forEach((part) => propertyNames(schemas, part, names));
  }
  if (isObject(schema.properties)) Object.keys(schema.properties).forEach((name) => names.add(name));
  return names;
}

function propertySchema(schemas: JsonObject, schema: Json | undefined, name: string): Json | undefined {
  if (!isObject(schema)) return undefined;
  const ref = schema.$ref;
  if (typeof ref === 'string') return propertySchema(schemas, schemas[ref.split('/').pop()!], name);
  if (isObject(schema.properties) && schema.properties[name] !== undefined) return schema.properties[name];
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const parts = schema[key];
    if (!Array.isArray(parts)) continue;
    for (const part of parts) {
      const found = propertySchema(schemas, part, name);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function main(): void {
  const [source, commit] = process.argv.slice(2);
  if (!source || !commit) throw new Error('usage: extract-openai-schemas <openapi.json> <commit>');
  const document: Json = JSON.parse(readFileSync(source, 'utf8')) as Json;
  if (!isObject(document) || !isObject(document.components) || !isObject(document.components.schemas)) {
    throw new Error(`${source} has no components.schemas`);
  }
  const info = isObject(document.info) ? document.info : {};
  const schemas = document.components.schemas;
  const origin = {
    repository: 'https://github.com/openai/openai-openapi',
    commit,
    file: 'openapi.json',
    openapi: document.openapi ?? null,
    version: info.version ?? null,
  };

  const components: JsonObject = {};
  for (const name of closure(schemas, RESPONSE_ROOTS)) components[name] = withoutDocs(schemas[name]);
  const out = join(__dirname, 'openai');
  writeFileSync(
    join(out, 'components.json'),
    `${JSON.stringify({ $id: 'openai', origin, components: { schemas: components } }, null, 1)}\n`,
  );

  const parameters: JsonObject = {};
  for (const root of REQUEST_ROOTS) {
    const top = [...propertyNames(schemas, schemas[root])].sort();
    const nested: JsonObject = {};
    for (const name of top) {
      const inner = [...propertyNames(schemas, propertySchema(schemas, schemas[root], name))].sort();
      if (inner.length > 0) nested[name] = inner;
    }
    parameters[root] = { parameters: top, nested };
  }
  writeFileSync(join(out, 'request-parameters.json'), `${JSON.stringify({ origin, ...parameters }, null, 1)}\n`);
}

main();
