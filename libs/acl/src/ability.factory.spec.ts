import 'reflect-metadata';
import { ForbiddenError as CaslForbiddenError, subject } from '@casl/ability';
import { ForbiddenError, NotFoundError, newAgentId } from '@agents/core';
import { authUser } from '@agents/testing/entity-factories';
import { AbilityFactory, type ResourceRef } from './ability.factory';
import { type Action, roleBits } from './permission-bits';

const factory = new AbilityFactory();
const ACTIONS: Action[] = ['view', 'edit', 'delete', 'share', 'use'];

function agent(): ResourceRef {
  return { type: 'Agent', id: newAgentId() };
}

/** The actions an ability allows on a resource, in ACTIONS order. */
function allowed(bits: number, resource: ResourceRef, on: ResourceRef = resource): Action[] {
  const ability = factory.forResource(authUser(), resource, bits);
  return ACTIONS.filter((action) => ability.can(action, subject(on.type, { id: on.id })));
}

/** The error assertCan throws, or undefined when it passes. */
function caught(run: () => void): unknown {
  try {
    run();
    return undefined;
  } catch (err) {
    return err;
  }
}

describe('AbilityFactory.forResource', () => {
  it.each([
    ['agent_viewer', ['view']],
    ['agent_user', ['view', 'use']],
    ['agent_editor', ['view', 'edit', 'use']],
    ['agent_owner', ['view', 'edit', 'delete', 'share', 'use']],
  ])('gives a holder of %s exactly %p', (role, actions) => {
    expect(allowed(roleBits(role)!, agent())).toEqual(actions);
  });

  it('allows nothing without bits', () => {
    expect(allowed(0, agent())).toEqual([]);
  });

  it('follows single bits that no role has on its own', () => {
    expect(allowed(8, agent())).toEqual(['share']);
    expect(allowed(4 | 16, agent())).toEqual(['delete', 'use']);
  });

  it('does not carry an ability for agent X over to agent Y', () => {
    const x = agent();
    const y = agent();
    expect(allowed(31, x, x)).toEqual(ACTIONS);
    expect(allowed(31, x, y)).toEqual([]);
  });

  it('lets ADMIN do everything on any agent, whatever bits it was given', () => {
    const admin = authUser({ role: 'ADMIN' });
    const ability = factory.forResource(admin, agent(), 0);
    const elsewhere = agent();
    for (const action of ACTIONS) expect(ability.can(action, subject('Agent', { id: elsewhere.id }))).toBe(true);
    expect(() => factory.assertCan(ability, 'delete', elsewhere)).not.toThrow();
  });
});

describe('AbilityFactory.assertCan', () => {
  it('throws NotFoundError (existence not revealed) without VIEW, whatever else is held', () => {
    const resource = agent();
    for (const bits of [0, 2, 4 | 8 | 16, 30]) {
      const ability = factory.forResource(authUser(), resource, bits);
      for (const action of ACTIONS) {
        const err = caught(() => factory.assertCan(ability, action, resource));
        expect(err).toBeInstanceOf(NotFoundError);
        expect((err as Error).message).toBe(`Agent ${resource.id} not found`);
      }
    }
  });

  it('throws NotFoundError for another agent than the one the ability was built for', () => {
    const ability = factory.forResource(authUser(), agent(), 31);
    expect(caught(() => factory.assertCan(ability, 'view', agent()))).toBeInstanceOf(NotFoundError);
  });

  it.each([
    ['agent_viewer', 'edit', 'EDIT'],
    ['agent_viewer', 'use', 'USE'],
    ['agent_user', 'edit', 'EDIT'],
    ['agent_editor', 'delete', 'DELETE'],
    ['agent_editor', 'share', 'SHARE'],
  ] as const)('throws our ForbiddenError when %s asks to %s, naming %s', (role, action, name) => {
    const resource = agent();
    const err = caught(() =>
      factory.assertCan(factory.forResource(authUser(), resource, roleBits(role)!), action, resource),
    );
    expect(err).toBeInstanceOf(ForbiddenError);
    expect(err).not.toBeInstanceOf(CaslForbiddenError);
    expect((err as ForbiddenError).kind).toBe('forbidden');
    expect((err as Error).message).toBe(`You do not have ${name} permission on this agent`);
  });

  it.each([
    ['agent_viewer', ['view']],
    ['agent_user', ['view', 'use']],
    ['agent_editor', ['view', 'use', 'edit']],
    ['agent_owner', ACTIONS],
  ] as const)('passes for every action %s holds', (role, actions) => {
    const resource = agent();
    const ability = factory.forResource(authUser(), resource, roleBits(role)!);
    for (const action of actions) expect(caught(() => factory.assertCan(ability, action, resource))).toBeUndefined();
  });

  it('truncates a very long id in the not-found message', () => {
    const resource: ResourceRef = { type: 'Agent', id: 'x'.repeat(500) };
    const err = caught(() => factory.assertCan(factory.forResource(authUser(), resource, 0), 'view', resource));
    expect((err as Error).message).toBe(`Agent ${'x'.repeat(64)} not found`);
  });
});
