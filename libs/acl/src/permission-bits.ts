/** Permission bits (docs/http-api.md § Permissions). A caller's bits are the OR of every grant that applies to them. */
export const PermissionBits = {
  VIEW: 1,
  EDIT: 2,
  DELETE: 4,
  SHARE: 8,
  USE: 16,
} as const;

export type PermissionName = keyof typeof PermissionBits;
export const ALL_PERMISSIONS = 31;

/** Lower-case action names used in CASL abilities and route declarations. */
export type Action = 'view' | 'edit' | 'delete' | 'share' | 'use';

export const ACTION_BITS: Record<Action, number> = {
  view: PermissionBits.VIEW,
  edit: PermissionBits.EDIT,
  delete: PermissionBits.DELETE,
  share: PermissionBits.SHARE,
  use: PermissionBits.USE,
};

export interface AccessRole {
  accessRoleId: string;
  permBits: number;
  description: string;
}

/** Roles a grant names: each is a fixed set of bits. */
export const AGENT_ROLES: readonly AccessRole[] = [
  { accessRoleId: 'agent_viewer', permBits: PermissionBits.VIEW, description: 'Can see the agent' },
  {
    accessRoleId: 'agent_user',
    permBits: PermissionBits.VIEW | PermissionBits.USE,
    description: 'Can see and chat with the agent',
  },
  {
    accessRoleId: 'agent_editor',
    permBits: PermissionBits.VIEW | PermissionBits.USE | PermissionBits.EDIT,
    description: 'Can see, chat with and change the agent, and see and revert its versions',
  },
  { accessRoleId: 'agent_owner', permBits: ALL_PERMISSIONS, description: 'Full control, including delete and share' },
];

export const OWNER_ROLE = 'agent_owner';
export const AGENT_ROLE_IDS = AGENT_ROLES.map((r) => r.accessRoleId);

export function roleBits(roleId: string): number | undefined {
  return AGENT_ROLES.find((r) => r.accessRoleId === roleId)?.permBits;
}

/** ["VIEW", "USE", …] for a bit mask, in bit order. */
export function permissionNames(bits: number): PermissionName[] {
  return (Object.entries(PermissionBits) as [PermissionName, number][])
    .sort(([, a], [, b]) => a - b)
    .filter(([, bit]) => (bits & bit) === bit)
    .map(([name]) => name);
}

/** The single bits that make up a mask, e.g. 17 → [1, 16]. */
export function splitBits(bits: number): number[] {
  return Object.values(PermissionBits)
    .filter((bit) => (bits & bit) === bit)
    .sort((a, b) => a - b);
}
