/**
 * Bounds on the agent fields taken from LibreChat's agent schema, in one place so validation, docs
 * and (later) the code that honours them agree.
 */

/**
 * The most steps one run of an agent may take (LibreChat's `recursion_limit`). The tool loop will
 * take its step cap from the agent's value, so the server's maximum is also the most work one
 * message can cause.
 */
export const MAX_RECURSION_LIMIT = 100;

/** Edges of one agent's graph. */
export const MAX_AGENT_EDGES = 20;

/** Agents at one end of an edge, when the end is a list. */
export const MAX_EDGE_ENDPOINTS = 10;

/** LibreChat's artifact modes; `''` turns artifacts off. */
export const ARTIFACT_MODES = ['', 'default', 'shadcnui', 'custom'] as const;

/** LibreChat's edge types: `handoff` lets the model transfer the conversation, `direct` always runs the next agent. */
export const EDGE_TYPES = ['handoff', 'direct'] as const;
