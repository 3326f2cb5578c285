import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { createAgent, createUser } from './support/factories';
import { freePort, spawnApi, waitFor, type RunningApi } from './support/process';
import { TEST_JWT_SECRET } from './support/test-app';
import { createTestDatabase } from './support/test-database';

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  example?: unknown;
  schema?: { example?: unknown };
}
interface Operation {
  parameters?: Parameter[];
  responses?: Record<string, { content?: Record<string, { example?: { error?: string } }> }>;
}
type Doc = { paths: Record<string, Record<string, Operation>> };

/**
 * Swagger UI is how internal teams first meet the API: what "Try it out" pre-fills must run as it
 * is, and each documented error must show that error, not another one's example. The built app
 * serves the document: the Swagger CLI plugin, which turns `@example` comments into examples, runs
 * at build time.
 */
describe('Swagger UI examples', () => {
  let db: { url: string; drop: () => Promise<void> };
  let api: RunningApi;
  let http: TestAgent;
  let doc: Doc;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = spawnApi({
      DATABASE_URL: db.url,
      JWT_SECRET: TEST_JWT_SECRET,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      AUTH_RATE_LIMIT: '100000',
    });
    await waitFor(`${api.baseUrl}/api/health/ready`);
    http = request(api.baseUrl);
    doc = (await http.get('/api/docs-json').expect(200)).body as Doc;
  }, 60_000);
  afterAll(async () => {
    await api?.stop('SIGKILL');
    await db?.drop();
  });

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
    );

  it('pre-fills no list filter: the agents list a new user tries shows their agents', async () => {
    const list = doc.paths['/api/agents'].get;
    const example = (p: Parameter) => p.example ?? p.schema?.example;
    const prefilled = Object.fromEntries(
      (list.parameters ?? [])
        .filter((p) => p.in === 'query' && example(p) !== undefined)
        .map((p) => [p.name, example(p)]),
    );
    // What Swagger UI would send, run as a new user: their agent is in it.
    const me = await createUser(http);
    const agent = await createAgent(http, me);
    const res = await http.get('/api/agents').query(prefilled).set(me.auth).expect(200);
    expect((res.body.data as { id: string }[]).map((a) => a.id)).toEqual([agent.id]);

    // Across the whole API, the only pre-filled optional query values are page sizes (a required
    // one, such as a search term, must be given anyway).
    const filled = operations().flatMap(({ path, operation }) =>
      (operation.parameters ?? [])
        .filter((p) => p.in === 'query' && !p.required && example(p) !== undefined)
        .map((p) => `${path}?${p.name}`),
    );
    expect(filled.filter((name) => !name.endsWith('?limit'))).toEqual([]);
  });

  it("shows each error status with its own example: a 401 is an Unauthorized, never a 400's body", () => {
    const reasons: Record<string, string> = {
      '400': 'Bad Request',
      '401': 'Unauthorized',
      '403': 'Forbidden',
      '404': 'Not Found',
      '409': 'Conflict',
      '412': 'Precondition Failed',
      '422': 'Unprocessable Entity',
      '429': 'Too Many Requests',
      '503': 'Service Unavailable',
    };
    const wrong = operations()
      .filter(({ path }) => !path.startsWith('/api/agents/v1')) // OpenAI's envelope, documented apart
      .flatMap(({ path, method, operation }) =>
        Object.entries(operation.responses ?? {})
          .filter(([status]) => reasons[status] !== undefined)
          .map(([status, response]) => ({
            at: `${method.toUpperCase()} ${path} ${status}`,
            error: Object.values(response.content ?? {})[0]?.example?.error,
            expected: reasons[status],
          }))
          .filter(({ error, expected }) => error !== expected),
      );
    expect(wrong).toEqual([]);
    expect(doc.paths['/api/agents'].get.responses!['401'].content!['application/json'].example).toEqual({
      error: 'Unauthorized',
      message: 'A valid bearer token is required',
    });
  });
});
