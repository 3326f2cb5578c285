import { InMemoryRateLimiter, rateLimitHeaders, resetDuration } from './rate-limiter';

describe('rate-limit headers', () => {
  it.each([
    [0, '0ms'],
    [20, '20ms'],
    [999, '999ms'],
    [1000, '1s'],
    [2500, '2.5s'],
    [59_999, '59.999s'],
    [60_000, '1m0s'],
    [360_000, '6m0s'],
    [90_500, '1m30.5s'],
    [3_600_000, '1h0m0s'],
  ])('writes %i ms as OpenAI does: %s', (ms, text) => {
    expect(resetDuration(ms)).toBe(text);
  });

  it('counts down the remaining requests of a window, never below 0', async () => {
    const limiter = new InMemoryRateLimiter();
    const hits = [];
    for (let i = 0; i < 4; i++) hits.push(await limiter.hit('key:1', 3, 60_000));
    expect(hits.map((h) => [h.allowed, h.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
    expect(hits[3].resetMs).toBeGreaterThan(59_000);
    expect(rateLimitHeaders(3, hits[3])).toEqual({
      'x-ratelimit-limit-requests': '3',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': expect.stringMatching(/^(59\.\d+s|1m0s)$/) as string,
    });
  });
});
