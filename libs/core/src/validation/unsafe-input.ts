import type { FieldProblem } from '../errors/domain-errors';

/**
 * How deeply a request body (or query) may nest objects and arrays. No route needs more than a
 * handful of levels; class-transformer and class-validator recurse once per level, so a body
 * nested thousands deep would overflow their stack before any rule could refuse it.
 */
export const MAX_INPUT_DEPTH = 64;

export const UNSAFE_TEXT_MESSAGE = 'must not contain NUL characters or unpaired surrogates';
export const UNSAFE_KEY_MESSAGE = 'field names must not contain NUL characters or unpaired surrogates';
export const TOO_DEEP_MESSAGE = `nests objects or arrays deeper than ${MAX_INPUT_DEPTH} levels`;

/**
 * UTF-16 surrogates without their other half: not Unicode text at all (jsonb refuses them; text
 * would store U+FFFD silently). Without the `u` flag the pattern sees UTF-16 code units, which is
 * what a lone surrogate is.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Cheap first look: most text has no surrogate at all, paired or not. */
const ANY_SURROGATE = /[\uD800-\uDFFF]/;

/** U+0000, which PostgreSQL refuses in text and jsonb, or a lone surrogate. */
export function isUnsafeText(text: string): boolean {
  return text.includes('\u0000') || (ANY_SURROGATE.test(text) && LONE_SURROGATE.test(text));
}

/** Replaces what {@link isUnsafeText} refuses with U+FFFD. */
function replaceUnsafe(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD').replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD');
}

/** A container met on the way down; the chain of parents spells the path only when one is reported. */
interface Visit {
  value: object;
  depth: number;
  parent?: Visit;
  key?: string | number;
}

/** Field names are echoed in the answer: keep them short and free of what was refused. */
function printableKey(key: string): string {
  const clean = replaceUnsafe(key);
  return clean.length > 64 ? `${clean.slice(0, 64)}…` : clean;
}

/** `messages[0].content`, the way validation errors name fields. */
function pathOf(visit: Visit | undefined, key: string | number | undefined, root: string): string {
  const parts: (string | number)[] = key === undefined ? [] : [key];
  for (let v = visit; v?.key !== undefined; v = v.parent) parts.push(v.key);
  let path = '';
  for (const part of parts.reverse()) {
    path = typeof part === 'number' ? `${path}[${part}]` : path ? `${path}.${printableKey(part)}` : printableKey(part);
  }
  return path || root;
}

/** Strings are checked in place and only containers are queued: most of a body is leaves. */
function visitChild(
  stack: Visit[],
  parent: Visit,
  key: string | number,
  value: unknown,
  root: string,
): FieldProblem | undefined {
  if (typeof value === 'string') {
    return isUnsafeText(value) ? { field: pathOf(parent, key, root), message: UNSAFE_TEXT_MESSAGE } : undefined;
  }
  if (typeof value === 'object' && value !== null) stack.push({ value, depth: parent.depth + 1, parent, key });
  return undefined;
}

/**
 * A string (value or field name) that cannot be stored as text, or the first container
 * nested deeper than {@link MAX_INPUT_DEPTH}, in a parsed JSON body or query (the first one met, when there are several). One iterative pass:
 * no recursion, so the input's shape cannot exhaust the stack. `root` names the whole input when
 * the problem is the input itself (a bare string, or the top level already too deep).
 */
export function findUnsafeInput(input: unknown, root = 'body'): FieldProblem | undefined {
  if (typeof input === 'string') {
    return isUnsafeText(input) ? { field: root, message: UNSAFE_TEXT_MESSAGE } : undefined;
  }
  if (typeof input !== 'object' || input === null) return undefined;
  const stack: Visit[] = [{ value: input, depth: 1 }];
  for (let visit = stack.pop(); visit; visit = stack.pop()) {
    if (visit.depth > MAX_INPUT_DEPTH) return { field: pathOf(visit, undefined, root), message: TOO_DEEP_MESSAGE };
    const container = visit.value;
    if (Array.isArray(container)) {
      for (let i = 0; i < container.length; i++) {
        const problem = visitChild(stack, visit, i, container[i], root);
        if (problem) return problem;
      }
    } else {
      for (const key of Object.keys(container)) {
        if (isUnsafeText(key)) return { field: pathOf(visit, key, root), message: UNSAFE_KEY_MESSAGE };
        const problem = visitChild(stack, visit, key, (container as Record<string, unknown>)[key], root);
        if (problem) return problem;
      }
    }
  }
  return undefined;
}
