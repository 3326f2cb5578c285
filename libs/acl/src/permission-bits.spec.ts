import {
  ACTION_BITS,
  AGENT_ROLE_IDS,
  ALL_PERMISSIONS,
  OWNER_ROLE,
  PermissionBits,
  permissionNames,
  roleBits,
  splitBits,
} from './permission-bits';

describe('permission bits', () => {
  it('has the bit values of docs/http-api.md § Permissions, one distinct bit each, and ALL_PERMISSIONS is their OR', () => {
    expect(PermissionBits).toEqual({ VIEW: 1, EDIT: 2, DELETE: 4, SHARE: 8, USE: 16 });
    expect(Object.values(PermissionBits).reduce((all, bit) => all | bit, 0)).toBe(ALL_PERMISSIONS);
  });

  it('maps every action to its permission bit', () => {
    expect(ACTION_BITS).toEqual({ view: 1, edit: 2, delete: 4, share: 8, use: 16 });
  });
});

describe('roleBits', () => {
  it.each([
    ['agent_viewer', 1],
    ['agent_user', 17],
    ['agent_editor', 19],
    ['agent_owner', 31],
  ])('%s holds %i', (roleId, bits) => {
    expect(roleBits(roleId)).toBe(bits);
  });

  it('knows exactly the four agent roles, and the owner role is the one with every bit', () => {
    expect(AGENT_ROLE_IDS).toEqual(['agent_viewer', 'agent_user', 'agent_editor', 'agent_owner']);
    expect(roleBits(OWNER_ROLE)).toBe(ALL_PERMISSIONS);
  });

  it.each(['agent_admin', 'AGENT_OWNER', '', 'owner'])('is undefined for the unknown role %p', (roleId) => {
    expect(roleBits(roleId)).toBeUndefined();
  });
});

describe('permissionNames', () => {
  it.each([
    [0, []],
    [1, ['VIEW']],
    [17, ['VIEW', 'USE']],
    [19, ['VIEW', 'EDIT', 'USE']],
    [31, ['VIEW', 'EDIT', 'DELETE', 'SHARE', 'USE']],
    [12, ['DELETE', 'SHARE']],
    [16, ['USE']],
  ])('names the bits of %i in bit order', (bits, names) => {
    expect(permissionNames(bits)).toEqual(names);
  });

  it('ignores bits beyond the five permissions', () => {
    expect(permissionNames(32 | 2)).toEqual(['EDIT']);
  });
});

describe('splitBits', () => {
  it.each([
    [0, []],
    [1, [1]],
    [17, [1, 16]],
    [19, [1, 2, 16]],
    [31, [1, 2, 4, 8, 16]],
    [10, [2, 8]],
  ])('splits %i into its single bits, ascending', (bits, parts) => {
    expect(splitBits(bits)).toEqual(parts);
  });

  it('drops bits beyond the five permissions', () => {
    expect(splitBits(64 | 4)).toEqual([4]);
  });
});
