/** Default prefix of every key and channel the bus uses. */
export const DEFAULT_KEY_PREFIX = 'agents:stream';

/** The Redis names of one stream. */
export interface StreamKeys {
  /** Hash `{state: open|ended}`: the stream exists (also before its first event) and whether it ended. */
  readonly meta: string;
  /** Redis Stream of the events; entry ids are the event ids. */
  readonly log: string;
  /** Pub/sub channel of live events. */
  readonly live: string;
  /** Pub/sub channel of control messages (abort). */
  readonly control: string;
}

/**
 * Every name carries the hash tag `{streamId}`, so all keys of a stream live in one Redis Cluster
 * slot and the publish script may touch them together.
 */
export function streamKeys(prefix: string, streamId: string): StreamKeys {
  const base = `${prefix}:{${streamId}}`;
  return { meta: `${base}:meta`, log: `${base}:log`, live: `${base}:live`, control: `${base}:control` };
}
