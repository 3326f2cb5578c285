import { settlesWithin } from './async';

describe('settlesWithin', () => {
  it('is true for a promise that resolves or rejects in time, false for one that does not', async () => {
    expect(await settlesWithin(Promise.resolve(1), 50)).toBe(true);
    expect(await settlesWithin(Promise.reject(new Error('no')), 50)).toBe(true);
    expect(await settlesWithin(new Promise(() => undefined), 20)).toBe(false);
    const late = new Promise((resolve) => setTimeout(resolve, 100));
    expect(await settlesWithin(late, 10)).toBe(false);
    await late;
  });
});
