/** Who to contact about an agent, shown on its catalogue card (LibreChat's `support_contact`). */
export interface AgentSupportContact {
  name?: string;
  email?: string;
}

/** One edge of an agent graph (LibreChat's `edges`): which agents hand off to, or run after, which. */
export interface AgentEdge {
  from: string | string[];
  to: string | string[];
  description?: string;
  edgeType?: 'handoff' | 'direct';
  prompt?: string;
  excludeResults?: boolean;
  promptKey?: string;
}

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
  /** `''` (off), `default`, `shadcnui` or `custom`. */
  artifacts: string;
  /** Null: the server's default. */
  recursion_limit: number | null;
  support_contact: AgentSupportContact | null;
  edges: AgentEdge[];
  end_after_tools: boolean;
  hide_sequential_outputs: boolean;
  is_promoted: boolean;
}

/**
 * What a field holds when a snapshot does not have it: versions recorded before the field existed
 * read as if the agent had the default then (which is what it behaved like).
 */
const SNAPSHOT_DEFAULTS: Partial<AgentSnapshot> = {
  artifacts: '',
  recursion_limit: null,
  support_contact: null,
  edges: [],
  end_after_tools: false,
  hide_sequential_outputs: false,
  is_promoted: false,
};

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
  'artifacts',
  'recursion_limit',
  'support_contact',
  'edges',
  'end_after_tools',
  'hide_sequential_outputs',
  'is_promoted',
] as const satisfies readonly (keyof AgentSnapshot)[];

/**
 * Copies exactly the snapshot fields out of anything shaped like an agent; a field an older
 * snapshot lacks gets its default.
 */
export function takeSnapshot(source: AgentSnapshot): AgentSnapshot {
  const snapshot = {} as Record<keyof AgentSnapshot, unknown>;
  for (const field of SNAPSHOT_FIELDS) {
    const value = source[field];
    snapshot[field] = value === undefined && field in SNAPSHOT_DEFAULTS ? SNAPSHOT_DEFAULTS[field] : value;
  }
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
