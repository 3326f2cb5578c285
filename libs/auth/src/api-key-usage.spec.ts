import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ApiKeyUsageRecorder, LAST_USED_RESOLUTION_MS } from './api-key-usage';
import type { ApiKeysRepository } from './api-keys.repository';

const T0 = new Date('2026-06-01T10:00:00.000Z').getTime();

describe('ApiKeyUsageRecorder', () => {
  let recordUse: jest.Mock<Promise<boolean>, [string, Date]>;
  let recorder: ApiKeyUsageRecorder;
  let warn: jest.SpyInstance;

  beforeEach(() => {
    jest.useFakeTimers({ now: T0, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    recordUse = jest.fn<Promise<boolean>, [string, Date]>().mockResolvedValue(true);
    recorder = new ApiKeyUsageRecorder({ recordUse } as unknown as ApiKeysRepository);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

  it('writes the first use at once, with the time of use', () => {
    recorder.noteUse('k1');
    expect(recordUse).toHaveBeenCalledWith('k1', new Date(T0));
  });

  it('writes again only once a minute has passed since its last write of that key', () => {
    recorder.noteUse('k1');
    jest.setSystemTime(T0 + LAST_USED_RESOLUTION_MS - 1);
    recorder.noteUse('k1');
    recorder.noteUse('k1');
    expect(recordUse).toHaveBeenCalledTimes(1);
    jest.setSystemTime(T0 + LAST_USED_RESOLUTION_MS);
    recorder.noteUse('k1');
    expect(recordUse).toHaveBeenCalledTimes(2);
    expect(recordUse).toHaveBeenLastCalledWith('k1', new Date(T0 + LAST_USED_RESOLUTION_MS));
  });

  it('throttles each key on its own', () => {
    recorder.noteUse('k1');
    recorder.noteUse('k2');
    recorder.noteUse('k1');
    expect(recordUse.mock.calls.map(([id]) => id)).toEqual(['k1', 'k2']);
  });

  it('does not wait for the write, logs a failed one, and retries on the next use', async () => {
    recordUse.mockRejectedValueOnce(new Error('connection reset'));
    recorder.noteUse('k1');
    await flush();
    expect(warn).toHaveBeenCalledTimes(1);
    recorder.noteUse('k1');
    expect(recordUse).toHaveBeenCalledTimes(2);
  });
});
