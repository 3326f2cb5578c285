import { sign } from 'jsonwebtoken';
import type { Response } from 'supertest';
import { createUser, userInput } from './support/factories';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from './support/test-app';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const USER_FIELDS = ['createdAt', 'email', 'id', 'name', 'role'];

/** The fields a 400 names in `details`. */
function badFields(res: Response): string[] {
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ error: 'Bad Request', message: expect.any(String) });
  return (res.body.details as { field: string }[]).map((d) => d.field);
}

/** A 401 in the error shape of docs/http-api.md § Errors, with nothing else in it. */
function expectUnauthorized(res: Response): void {
  expect(res.status).toBe(401);
  expect(res.body).toEqual({ error: 'Unauthorized', message: expect.any(String) });
  expect(res.body.message.length).toBeGreaterThan(0);
}

describe('identity (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const register = (body: Record<string, unknown>) => t.http.post('/api/auth/register').send(body);
  const login = (body: Record<string, unknown>) => t.http.post('/api/auth/login').send(body);
  const me = (token?: string) => {
    const req = t.http.get('/api/user');
    return token === undefined ? req : req.set('Authorization', `Bearer ${token}`);
  };

  // Runs first, on the file's fresh database (jest runs the tests of a file in order).
  describe('roles', () => {
    it('makes the very first user of a fresh database ADMIN and later ones USER', async () => {
      const first = await register(userInput()).expect(201);
      const second = await register(userInput()).expect(201);
      const third = await register(userInput()).expect(201);
      expect(first.body.user.role).toBe('ADMIN');
      expect(second.body.user.role).toBe('USER');
      expect(third.body.user.role).toBe('USER');
    });
  });

  describe('POST /api/auth/register', () => {
    it('answers 201 {user} with id, email, name, role and createdAt', async () => {
      const input = userInput({ name: 'Ada Lovelace' });
      const res = await register(input).expect(201);
      expect(Object.keys(res.body)).toEqual(['user']);
      expect(Object.keys(res.body.user).sort()).toEqual(USER_FIELDS);
      expect(res.body.user).toEqual({
        id: expect.stringMatching(UUID),
        email: input.email,
        name: 'Ada Lovelace',
        role: 'USER',
        createdAt: expect.stringMatching(ISO),
      });
    });

    it('never returns the password or its hash', async () => {
      const input = userInput({ password: 'a-very-distinct-password-42' });
      const res = await register(input).expect(201);
      const text = JSON.stringify(res.body);
      expect(text).not.toContain(input.password);
      expect(text).not.toMatch(/password|hash|scrypt/i);
    });

    it('answers 409 for an email that is already registered', async () => {
      const input = userInput();
      await register(input).expect(201);
      const res = await register({ ...input, name: 'Someone Else' }).expect(409);
      expect(res.body).toEqual({ error: 'Conflict', message: expect.any(String) });
    });

    it('treats emails that differ only in case as the same email (409)', async () => {
      const input = userInput();
      await register(input).expect(201);
      await register({ ...input, email: input.email.toUpperCase() }).expect(409);
    });

    it('rejects an invalid email naming `email`', async () => {
      const res = await register(userInput({ email: 'not-an-email' }));
      expect(badFields(res)).toContain('email');
    });

    /** A password of `length` characters that no list of common passwords holds. */
    const uncommon = (length: number): string => 'Xk9#mQ2$vL7!pW4zR8&n'.repeat(7).slice(0, length);

    it.each([
      ['11', 11],
      ['129', 129],
    ])('rejects a password of %s characters naming `password`', async (_label, length) => {
      const res = await register(userInput({ password: uncommon(length) }));
      expect(badFields(res)).toEqual(['password']);
    });

    it('says how long a password must be', async () => {
      const res = await register(userInput({ password: uncommon(11) })).expect(400);
      expect(res.body.details).toEqual([
        { field: 'password', message: 'password must be at least 12 characters long' },
      ]);
    });

    it.each([12, 128])('accepts a password of %i characters (the bounds)', async (length) => {
      const input = userInput({ password: uncommon(length) });
      await register(input).expect(201);
      await login({ email: input.email, password: input.password }).expect(200);
    });

    it.each([
      ['8 spaces', ' '.repeat(8)],
      ['12 spaces', ' '.repeat(12)],
      ['only tabs and newlines', '\t\n'.repeat(8)],
    ])('rejects a password of %s naming `password`, and creates nobody', async (_label, password) => {
      const input = userInput({ password });
      const res = await register(input);
      expect(badFields(res)).toEqual(['password']);
      await register({ ...input, password: uncommon(20) }).expect(201);
    });

    it.each(['123456789012', 'QwertyUiopAs', 'passwordpassword', 'Password 1234', 'iloveyou2024'])(
      'rejects the common password %p naming `password`',
      async (password) => {
        const res = await register(userInput({ password })).expect(400);
        expect(res.body.details).toEqual([
          { field: 'password', message: expect.stringMatching(/most commonly used passwords/) },
        ]);
      },
    );

    it('rejects an unknown field naming it, so a client cannot choose its own role', async () => {
      const input = userInput();
      const res = await register({ ...input, role: 'ADMIN' });
      expect(badFields(res)).toEqual(['role']);
      // Nothing was created: the same email can still register.
      await register(input).expect(201);
    });
  });

  describe('POST /api/auth/login', () => {
    it('answers 200 {token, user} and the token authenticates as that user', async () => {
      const input = userInput();
      const registered = await register(input).expect(201);
      const res = await login({ email: input.email, password: input.password }).expect(200);
      expect(Object.keys(res.body).sort()).toEqual(['token', 'user']);
      expect(res.body.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(res.body.user).toEqual(registered.body.user);
      expect(JSON.stringify(res.body)).not.toContain(input.password);

      const caller = await me(res.body.token as string).expect(200);
      expect(caller.body.id).toBe(registered.body.user.id);
    });

    it('answers 401 with the same body for a wrong password and for an unknown email', async () => {
      const input = userInput();
      await register(input).expect(201);
      const wrongPassword = await login({ email: input.email, password: 'wrong password!' });
      const unknownEmail = await login({ email: `nobody-${input.email}`, password: input.password });
      expectUnauthorized(wrongPassword);
      expectUnauthorized(unknownEmail);
      expect(unknownEmail.body).toEqual(wrongPassword.body);
    });
  });

  describe('GET /api/user', () => {
    it('returns the caller {id, email, name, role, createdAt}', async () => {
      const user = await createUser(t.http, { name: 'Grace Hopper' });
      const res = await me(user.token).expect(200);
      expect(Object.keys(res.body).sort()).toEqual(USER_FIELDS);
      expect(res.body).toEqual({
        id: user.id,
        email: user.email,
        name: 'Grace Hopper',
        role: 'USER',
        createdAt: expect.stringMatching(ISO),
      });
    });

    it('answers 401 without a token', async () => {
      expectUnauthorized(await me());
    });

    it('answers 401 for a garbage token', async () => {
      expectUnauthorized(await me('not.a.jwt'));
      expectUnauthorized(await t.http.get('/api/user').set('Authorization', 'Basic dXNlcjpwYXNz'));
    });

    it('accepts a token signed with the server secret (control for the forged tokens below)', async () => {
      const user = await createUser(t.http);
      const token = sign({ sub: user.id }, TEST_JWT_SECRET, { algorithm: 'HS256', expiresIn: '5m' });
      const res = await me(token).expect(200);
      expect(res.body.id).toBe(user.id);
    });

    it('answers 401 for a token signed with another secret', async () => {
      const user = await createUser(t.http);
      const token = sign({ sub: user.id }, 'another-secret-that-is-also-32-characters-long', {
        algorithm: 'HS256',
        expiresIn: '5m',
      });
      expectUnauthorized(await me(token));
    });

    it('answers 401 for an expired token', async () => {
      const user = await createUser(t.http);
      const past = Math.floor(Date.now() / 1000) - 3600;
      const token = sign({ sub: user.id, iat: past - 60, exp: past }, TEST_JWT_SECRET, { algorithm: 'HS256' });
      expectUnauthorized(await me(token));
    });

    it('answers 401 for an unsigned ("alg": "none") token', async () => {
      const user = await createUser(t.http);
      const token = sign({ sub: user.id }, '', { algorithm: 'none' });
      expectUnauthorized(await me(token));
    });
  });

  describe('X-Request-Id', () => {
    it('echoes the id the client sent', async () => {
      const res = await t.http.get('/api/user').set('X-Request-Id', 'client-id-123');
      expect(res.headers['x-request-id']).toBe('client-id-123');
    });

    it('generates a fresh id when the client sends none', async () => {
      const a = await t.http.get('/api/user');
      const b = await t.http.get('/api/user');
      expect(a.headers['x-request-id']).toEqual(expect.any(String));
      expect(a.headers['x-request-id']).not.toBe('');
      expect(b.headers['x-request-id']).not.toBe(a.headers['x-request-id']);
    });
  });

  describe('with PASSWORD_MIN_LENGTH=16', () => {
    let strict: TestApp;

    beforeAll(async () => {
      strict = await startTestApp({ PASSWORD_MIN_LENGTH: '16' });
    });
    afterAll(() => strict.close());

    it('requires 16 characters', async () => {
      const short = await strict.http.post('/api/auth/register').send(userInput({ password: 'Xk9#mQ2$vL7!pW4' }));
      expect(badFields(short)).toEqual(['password']);
      expect(short.body.details[0].message).toBe('password must be at least 16 characters long');
      await strict.http
        .post('/api/auth/register')
        .send(userInput({ password: 'Xk9#mQ2$vL7!pW4z' }))
        .expect(201);
    });
  });

  describe('with ALLOW_REGISTRATION=false', () => {
    let closed: TestApp;

    beforeAll(async () => {
      closed = await startTestApp({ ALLOW_REGISTRATION: 'false' });
    });
    afterAll(() => closed.close());

    it('answers 403 on register and creates no account', async () => {
      const input = userInput();
      const res = await closed.http.post('/api/auth/register').send(input).expect(403);
      expect(res.body).toEqual({ error: 'Forbidden', message: expect.any(String) });
      expectUnauthorized(
        await closed.http.post('/api/auth/login').send({ email: input.email, password: input.password }),
      );
    });
  });
});
