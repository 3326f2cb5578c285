/** The configurable fields of an agent: what a version captures and what a change is measured on. */
export interface AgentSnapshot {
  name: string;
  description: string | null;
  instructions: string | null;
  provider: string;
  model: string;
  model_parameters: Record<string, unknown>;
  tools: string[];
  tool_resources: Record<string, unknown>;
  avatar: { filepath: string; source: string } | null;
  category: string;
  conversation_starters: string[];
}

export const SNAPSHOT_FIELDS = [
  'name',
  'description',
  'instructions',
  'provider',
  'model',
  'model_parameters',
  'tools',
  'tool_resources',
  'avatar',
  'category',
  'conversation_starters',
] as const satisfies readonly (keyof AgentSnapshot)[];

/** Copies exactly the snapshot fields out of anything shaped like an agent. */
export function takeSnapshot(source: AgentSnapshot): AgentSnapshot {
  const snapshot = {} as Record<keyof AgentSnapshot, unknown>;
  for (const field of SNAPSHOT_FIELDS) snapshot[field] = source[field];
  return snapshot as AgentSnapshot;
}

/** JSON with object keys sorted, so equal values have one spelling whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/**
 * The fields whose values differ. Object key order never counts as a change; array order does
 * (tool order and starter order are visible to users).
 */
export function changedFields(before: AgentSnapshot, after: AgentSnapshot): (keyof AgentSnapshot)[] {
  return SNAPSHOT_FIELDS.filter((f) => canonicalJson(before[f] ?? null) !== canonicalJson(after[f] ?? null));
}

/** Applies a partial update to a snapshot; `undefined` leaves a field as it is, `null` clears it. */
export function applyPatch(current: AgentSnapshot, patch: Partial<AgentSnapshot>): AgentSnapshot {
  const next = takeSnapshot(current);
  for (const field of SNAPSHOT_FIELDS) {
    const value = patch[field];
    if (value !== undefined) (next as unknown as Record<string, unknown>)[field] = value;
  }
  return next;
}
