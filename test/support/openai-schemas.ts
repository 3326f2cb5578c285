import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import components from '../schemas/openai/components.json';

/**
 * OpenAI's published response schemas (vendored under test/schemas/openai) as ajv validators.
 * The document is OpenAPI 3.1 (JSON Schema 2020-12) with a few OpenAPI and older-draft leftovers
 * that ajv does not read, rewritten once here without changing what validates:
 * - `nullable: true` (OpenAPI 3.0) → the value may also be null;
 * - `discriminator` → dropped: it only tells code generators which `oneOf` branch to pick, and
 *   the branches' own `type` constants already make exactly one of them match;
 * - `$recursiveRef: "#"` (draft 2019-09) → a `$ref` to the component it sits in.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function withNull(schema: JsonObject): JsonObject {
  const { nullable: _nullable, ...rest } = schema;
  if (typeof rest.$ref === 'string' || rest.type === undefined) return { anyOf: [rest, { type: 'null' }] };
  const types = Array.isArray(rest.type) ? rest.type : [rest.type];
  const result: JsonObject = { ...rest, type: [...types, 'null'] };
  if (Array.isArray(rest.enum)) result.enum = [...rest.enum, null];
  return result;
}

function normalize(value: Json, component: string): Json {
  if (Array.isArray(value)) return value.map((v) => normalize(v, component));
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'discriminator' || key === '$recursiveAnchor') continue;
    if (key === '$recursiveRef') out.$ref = `#/components/schemas/${component}`;
    else out[key] = normalize(inner, component);
  }
  return out.nullable === true ? withNull(out) : out;
}

function normalizedDocument(): JsonObject {
  const source: Json = JSON.parse(JSON.stringify(components)) as Json;
  if (!isObject(source) || !isObject(source.components) || !isObject(source.components.schemas)) {
    throw new Error('test/schemas/openai/components.json has no components.schemas');
  }
  const schemas: JsonObject = {};
  for (const [name, schema] of Object.entries(source.components.schemas)) schemas[name] = normalize(schema, name);
  return { $id: 'openai', components: { schemas } };
}

const document = normalizedDocument();
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
// OpenAI's own format for Unix-seconds timestamps.
ajv.addFormat('unixtime', { type: 'number', validate: (n: number) => Number.isFinite(n) && n >= 0 });
ajv.addSchema(document);

const validators = new Map<string, ValidateFunction>();

function validatorFor(name: string): ValidateFunction {
  let validate = validators.get(name);
  if (!validate) {
    validate = ajv.compile({ $ref: `openai#/components/schemas/${name}` });
    validators.set(name, validate);
  }
  return validate;
}

/** The errors of `value` against OpenAI's schema `name` (e.g. "Response"), readable; [] when it conforms. */
export function schemaErrors(name: string, value: unknown): string[] {
  const validate = validatorFor(name);
  if (validate(value)) return [];
  return (validate.errors ?? []).map(
    (e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`,
  );
}

/** Fails with the schema's complaints when `value` is not a valid OpenAI `name`. */
export function expectSchema(name: string, value: unknown): void {
  const errors = schemaErrors(name, value);
  if (errors.length > 0) {
    throw new Error(`not a valid OpenAI ${name}:\n  ${errors.slice(0, 20).join('\n  ')}\n${JSON.stringify(value)}`);
  }
}

/** The component naming each Responses streaming event type, from the ResponseStreamEvent union. */
function eventSchemas(): Map<string, string> {
  const schemas = document.components;
  const byType = new Map<string, string>();
  if (!isObject(schemas) || !isObject(schemas.schemas)) return byType;
  const all = schemas.schemas;
  const union = all.ResponseStreamEvent;
  const branches = isObject(union) && Array.isArray(union.anyOf) ? union.anyOf : [];
  for (const branch of branches) {
    const ref = isObject(branch) && typeof branch.$ref === 'string' ? branch.$ref.split('/').pop()! : undefined;
    const schema = ref ? all[ref] : undefined;
    const type = isObject(schema) && isObject(schema.properties) ? schema.properties.type : undefined;
    const values = isObject(type) && Array.isArray(type.enum) ? type.enum : [];
    for (const value of values) if (typeof value === 'string' && ref) byType.set(value, ref);
  }
  return byType;
}

const EVENT_SCHEMAS = eventSchemas();

/** Validates one Responses streaming event against the schema of its own `type` (clearer errors than the union's). */
export function expectResponseEvent(event: { type: string }): void {
  const name = EVENT_SCHEMAS.get(event.type);
  if (!name) throw new Error(`OpenAI defines no Responses streaming event of type '${event.type}'`);
  expectSchema(name, event);
  expectSchema('ResponseStreamEvent', event);
}
