import { SNAPSHOT_FIELDS, applyPatch, canonicalJson, changedFields, takeSnapshot } from '@agents/versions';
import { snapshot } from '@agents/testing/entity-factories';

describe('changedFields', () => {
  it('reports nothing for a deep copy of the same snapshot', () => {
    const before = snapshot();
    expect(changedFields(before, structuredClone(before))).toEqual([]);
  });

  it('does not count object key order as a change, at any depth', () => {
    const before = snapshot({
      model_parameters: { temperature: 0.2, max_tokens: 100, stop: ['a', 'b'] },
      tool_resources: { file_search: { file_ids: ['x'] }, code_interpreter: { file_ids: ['y'] } },
      avatar: { filepath: '/a.png', source: 'local' },
    });
    const after = {
      ...before,
      model_parameters: { stop: ['a', 'b'], max_tokens: 100, temperature: 0.2 },
      tool_resources: { code_interpreter: { file_ids: ['y'] }, file_search: { file_ids: ['x'] } },
      avatar: { source: 'local', filepath: '/a.png' },
    };
    expect(changedFields(before, after)).toEqual([]);
  });

  it('counts array order as a change', () => {
    const before = snapshot({ tools: ['calculator', 'web_search'], conversation_starters: ['a', 'b'] });
    expect(changedFields(before, { ...before, tools: ['web_search', 'calculator'] })).toEqual(['tools']);
    expect(changedFields(before, { ...before, conversation_starters: ['b', 'a'] })).toEqual(['conversation_starters']);
  });

  it('treats a missing field as null, but null and a value as different', () => {
    const before = snapshot({ description: null, avatar: null });
    const missing = { ...before } as Record<string, unknown>;
    delete missing.description;
    delete missing.avatar;
    expect(changedFields(before, missing as unknown as typeof before)).toEqual([]);
    expect(changedFields(before, { ...before, description: '' })).toEqual(['description']);
    expect(changedFields(before, { ...before, avatar: { filepath: '/b.png', source: 'local' } })).toEqual(['avatar']);
  });

  it('detects a change nested inside model_parameters and tool_resources', () => {
    const before = snapshot({
      model_parameters: { temperature: 0.2, stop: ['END'] },
      tool_resources: { file_search: { file_ids: ['a'] } },
    });
    expect(changedFields(before, { ...before, model_parameters: { temperature: 0.3, stop: ['END'] } })).toEqual([
      'model_parameters',
    ]);
    expect(changedFields(before, { ...before, model_parameters: { temperature: 0.2, stop: ['END', 'STOP'] } })).toEqual(
      ['model_parameters'],
    );
    expect(changedFields(before, { ...before, model_parameters: { temperature: 0.2 } })).toEqual(['model_parameters']);
    expect(changedFields(before, { ...before, tool_resources: { file_search: { file_ids: ['b'] } } })).toEqual([
      'tool_resources',
    ]);
  });

  it('lists every changed field, in snapshot field order', () => {
    const before = snapshot();
    const after = { ...before, category: 'hr', name: `${before.name}!`, model: 'gpt-4o-mini' };
    expect(changedFields(before, after)).toEqual(['name', 'model', 'category']);
  });
});

describe('applyPatch', () => {
  it('leaves fields whose patch value is undefined as they are', () => {
    const current = snapshot();
    const next = applyPatch(current, { name: 'Renamed', description: undefined, tools: undefined });
    expect(next).toEqual({ ...current, name: 'Renamed' });
  });

  it('clears a field whose patch value is null', () => {
    const current = snapshot({ description: 'old', avatar: { filepath: '/a.png', source: 'local' } });
    const next = applyPatch(current, { description: null, avatar: null });
    expect(next.description).toBeNull();
    expect(next.avatar).toBeNull();
    expect(next.instructions).toBe(current.instructions);
  });

  it('replaces objects and arrays whole rather than merging them', () => {
    const current = snapshot({ model_parameters: { temperature: 1, max_tokens: 10 }, tools: ['calculator'] });
    const next = applyPatch(current, { model_parameters: { top_p: 0.5 }, tools: [] });
    expect(next.model_parameters).toEqual({ top_p: 0.5 });
    expect(next.tools).toEqual([]);
  });

  it('does not mutate its input', () => {
    const current = snapshot();
    const copy = structuredClone(current);
    const patch = { name: 'Other', description: null, tools: ['dalle'] };
    const next = applyPatch(current, patch);
    expect(current).toEqual(copy);
    expect(next).not.toBe(current);
    expect(patch).toEqual({ name: 'Other', description: null, tools: ['dalle'] });
  });

  it('ignores keys that are not snapshot fields', () => {
    const current = snapshot();
    const next = applyPatch(current, { id: 'agent_x', version: 9 } as never);
    expect(Object.keys(next).sort()).toEqual([...SNAPSHOT_FIELDS].sort());
  });
});

describe('takeSnapshot', () => {
  it('copies exactly the snapshot fields and nothing else', () => {
    const fields = snapshot();
    const agentLike = {
      ...fields,
      id: 'agent_aaaaaaaaaaaaaaaaaaaaa',
      author: 'someone',
      version: 4,
      createdAt: new Date(),
      passwordHash: 'secret',
    };
    const taken = takeSnapshot(agentLike);
    expect(Object.keys(taken).sort()).toEqual([...SNAPSHOT_FIELDS].sort());
    expect(taken).toEqual(fields);
    expect(taken).not.toBe(agentLike);
  });

  it('gives the fields a version recorded before they existed their defaults', () => {
    const older = snapshot() as Partial<ReturnType<typeof snapshot>>;
    for (const field of [
      'artifacts',
      'recursion_limit',
      'support_contact',
      'edges',
      'end_after_tools',
      'hide_sequential_outputs',
      'is_promoted',
    ] as const) {
      delete older[field];
    }
    expect(takeSnapshot(older as ReturnType<typeof snapshot>)).toMatchObject({
      artifacts: '',
      recursion_limit: null,
      support_contact: null,
      edges: [],
      end_after_tools: false,
      hide_sequential_outputs: false,
      is_promoted: false,
    });
  });
});

describe('canonicalJson', () => {
  it('spells equal objects identically whatever their key order, recursively', () => {
    const a = { b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } };
    const b = { a: { c: null, d: [1, { y: 2, z: 1 }] }, b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
  });

  it('keeps array order and distinguishes different values', () => {
    expect(canonicalJson([2, 1])).toBe('[2,1]');
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
    expect(canonicalJson({ a: '1' })).not.toBe(canonicalJson({ a: 1 }));
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson('x')).toBe('"x"');
  });
});
