/*
 * The program the calculator's child process runs, as source text: `node -e` runs it the same way
 * from the TypeScript sources (tests) and from the compiled build, with no separate file to find.
 * It speaks to its parent over the IPC channel: `{ready: true}` once mathjs is loaded, then one
 * `{id, value}` or `{id, error}` per `{id, expression}` it receives.
 */

/**
 * Functions an expression may not call: those that reach the parser or the instance itself
 * (evaluate, import, config…). With them an expression could escape the limits, change how later
 * expressions evaluate, or define units for everyone. This is mathjs's own "more secure eval" list,
 * plus the other functions that parse strings or change the instance.
 */
export const BLOCKED_FUNCTIONS: readonly string[] = [
  'import',
  'createUnit',
  'reviver',
  'replacer',
  'evaluate',
  'parse',
  'compile',
  'parser',
  'simplify',
  'simplifyConstant',
  'simplifyCore',
  'derivative',
  'resolve',
  'rationalize',
  'symbolicEqual',
  'leafCount',
  'chain',
  'config',
  'help',
];

/** What the child needs, passed on its command line (JSON) so the program text stays constant. */
export interface EvaluatorSettings {
  /** mathjs's entry point, resolved by the parent: the child's working directory may be anywhere. */
  mathjsPath: string;
  blocked: readonly string[];
  /** A formatted result longer than this is refused in the child, before it crosses the channel. */
  maxOutputLength: number;
}

/** A reply to one expression. */
export type EvaluatorReply = { id: number; value: string } | { id: number; error: string };

/** The child's first message, once mathjs is loaded and locked down. */
export interface EvaluatorReady {
  ready: true;
}

export const EVALUATOR_PROGRAM = String.raw`
'use strict';
const settings = JSON.parse(process.argv[1]);
const { create, all } = require(settings.mathjsPath);

const math = create(all);
// Kept before the lock-down below: the blocked functions are replaced on the instance, and these
// references stay the working originals.
const evaluate = math.evaluate;
const format = math.format;
const typeOf = math.typeOf;

const disabled = {};
for (const name of settings.blocked) {
  disabled[name] = function () {
    throw new Error('Function ' + name + ' is disabled');
  };
}
math.import(disabled, { override: true });

function formatted(value) {
  const text = format(value, { precision: 14 });
  if (text.length > settings.maxOutputLength) {
    throw new Error(
      'the result is ' + text.length + ' characters long; the limit is ' + settings.maxOutputLength,
    );
  }
  return text;
}

function describe(result) {
  if (typeOf(result) === 'ResultSet') {
    if (result.entries.length === 0) throw new Error('the expression has no result');
    return result.entries.map(formatted).join('\n');
  }
  if (result === undefined) throw new Error('the expression has no result');
  if (typeof result === 'function') {
    throw new Error('the result is a function, not a value: call it, e.g. f(2)');
  }
  return formatted(result);
}

process.on('message', function (job) {
  let reply;
  try {
    // A fresh scope per expression: variables never leak from one call to the next.
    reply = { id: job.id, value: describe(evaluate(job.expression, new Map())) };
  } catch (error) {
    reply = { id: job.id, error: error instanceof Error ? error.message : String(error) };
  }
  process.send(reply);
});
// The parent is gone: nothing will ask again.
process.on('disconnect', function () {
  process.exit(0);
});
process.send({ ready: true });
`;
