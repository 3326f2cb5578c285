/**
 * Jest's Node environment, plus Node's own fetch dispatcher: SDKs that route requests through the
 * global undici dispatcher (@google/genai) look it up on `globalThis`, which inside a test is the
 * sandbox's, not Node's. Node creates it lazily, on first use of its fetch classes.
 */
const { TestEnvironment } = require('jest-environment-node');

const UNDICI_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

class NodeEnvironmentWithFetch extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    new Headers();
    if (globalThis[UNDICI_DISPATCHER]) this.global[UNDICI_DISPATCHER] = globalThis[UNDICI_DISPATCHER];
  }
}

module.exports = NodeEnvironmentWithFetch;
