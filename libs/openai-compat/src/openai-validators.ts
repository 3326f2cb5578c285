import { ValidateBy, buildMessage, type ValidationOptions } from 'class-validator';

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** An `allowed` test for {@link Unsupported}: the value is one of `values`. */
export const oneOf =
  (...values: unknown[]) =>
  (value: unknown): boolean =>
    values.includes(value);

/** Name of the rule that marks a parameter this service cannot honour (→ `unsupported_parameter`). */
export const UNSUPPORTED_RULE = 'unsupportedParameter';

/**
 * A parameter OpenAI defines that this service cannot honour: rejected with a 400 naming it unless
 * `allowed(value)` (e.g. `n: 1`, `response_format: {type: "text"}`), never silently ignored.
 */
export function Unsupported(reason: string, allowed: (value: unknown) => boolean = () => false): PropertyDecorator {
  return ValidateBy({
    name: UNSUPPORTED_RULE,
    validator: {
      validate: (value: unknown) => value === undefined || allowed(value),
      defaultMessage: () => reason,
    },
  });
}

/**
 * A chat message's content: a string, or an array of `{type: "text", text}` parts; at most
 * `maxChars` in all. An assistant message may have `null` content, as the service's own answers
 * can (a refusal or tool calls instead of text), so that they can be sent back unchanged. A user
 * message's parts may also be images (`{type: "image_url", image_url}`), checked part by part
 * where the request is mapped (see imageFromUrl).
 */
export function IsMessageContent(maxChars: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isMessageContent',
      validator: {
        validate: (value: unknown, args) => {
          if (value === null) {
            const message: unknown = args?.object;
            return isRecord(message) && message.role === 'assistant';
          }
          const message: unknown = args?.object;
          const images = isRecord(message) && message.role === 'user' ? ['image_url'] : [];
          const length = textLength(value, ['text'], images);
          return length !== undefined && length <= maxChars;
        },
        defaultMessage: buildMessage(
          (each) =>
            `${each}$property must be a string or an array of {"type": "text", "text": string} parts ` +
            `(and {"type": "image_url", "image_url": {"url": string}} parts on user messages), ` +
            `at most ${maxChars} characters in all (null only on assistant messages)`,
          options,
        ),
      },
    },
    options,
  );
}

/** OpenAI's bounds on `metadata`: at most 16 pairs, keys up to 64 characters, string values up to 512. */
export const METADATA_LIMITS = { pairs: 16, keyChars: 64, valueChars: 512 } as const;

/** `metadata`: string pairs within {@link METADATA_LIMITS} (OpenAI's own bounds). */
export function IsMetadata(): PropertyDecorator {
  const { pairs, keyChars, valueChars } = METADATA_LIMITS;
  return ValidateBy({
    name: 'isMetadata',
    validator: {
      validate: (value: unknown) =>
        isRecord(value) &&
        Object.keys(value).length <= pairs &&
        Object.entries(value).every(
          ([key, v]) => key.length <= keyChars && typeof v === 'string' && v.length <= valueChars,
        ),
      defaultMessage: () =>
        `$property must be an object of at most ${pairs} string values, keys of at most ${keyChars} ` +
        `characters and values of at most ${valueChars}`,
    },
  });
}

/** `stop`: a string or up to `maxItems` strings, each at most `maxLength` characters. */
export function IsStopSequences(maxItems: number, maxLength: number): PropertyDecorator {
  return ValidateBy({
    name: 'isStopSequences',
    validator: {
      validate: (value: unknown) => {
        const list = typeof value === 'string' ? [value] : value;
        return (
          Array.isArray(list) &&
          list.length <= maxItems &&
          list.every((s) => typeof s === 'string' && s.length > 0 && s.length <= maxLength)
        );
      },
      defaultMessage: () =>
        `$property must be a string or an array of at most ${maxItems} non-empty strings of at most ${maxLength} characters`,
    },
  });
}

/**
 * The number of characters of a string, or of an array of `{type, text}` parts whose type is one of
 * `partTypes` (and objects of one of `otherParts`, which count nothing); undefined when the value
 * has another shape.
 */
export function textLength(value: unknown, partTypes: string[], otherParts: string[] = []): number | undefined {
  if (typeof value === 'string') return value.length;
  if (!Array.isArray(value)) return undefined;
  const parts: unknown[] = value;
  let total = 0;
  for (const part of parts) {
    if (!isRecord(part)) return undefined;
    if (typeof part.type === 'string' && otherParts.includes(part.type)) continue;
    const { type, text, ...rest } = part;
    if (typeof type !== 'string' || !partTypes.includes(type) || typeof text !== 'string') return undefined;
    if (Object.keys(rest).some((key) => key !== 'annotations')) return undefined;
    total += text.length;
  }
  return total;
}
