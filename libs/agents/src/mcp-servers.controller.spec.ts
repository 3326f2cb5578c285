import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { IS_PUBLIC } from '@agents/auth';
import type { McpManager, McpServerState } from '@agents/tools';
import { authUser } from '@agents/testing/entity-factories';
import { McpServersController } from './mcp-servers.controller';

const STATES: McpServerState[] = [
  { name: 'local', transport: 'stdio', state: 'idle', toolCount: 0 },
  {
    name: 'tickets',
    transport: 'streamable-http',
    state: 'connected',
    toolCount: 4,
    connectedAt: '2026-11-30T17:45:00.000Z',
  },
  {
    name: 'broken',
    transport: 'stdio',
    state: 'failed',
    toolCount: 2,
    connectedAt: '2026-11-30T16:00:00.000Z',
    lastError: 'spawn /opt/mcp/broken ENOENT',
  },
];

function setup() {
  const mcp = { states: jest.fn(() => STATES), toolsOf: jest.fn() };
  return { mcp, controller: new McpServersController(mcp as unknown as McpManager) };
}

describe('McpServersController', () => {
  it('is GET /mcp/servers (under the api prefix) and not public', () => {
    const handler = Object.getOwnPropertyDescriptor(McpServersController.prototype, 'list')!.value as object;
    expect(Reflect.getMetadata(PATH_METADATA, McpServersController)).toBe('mcp/servers');
    expect(Reflect.getMetadata(METHOD_METADATA, handler)).toBe(RequestMethod.GET);
    expect(Reflect.getMetadata(IS_PUBLIC, handler)).toBeUndefined();
    expect(Reflect.getMetadata(IS_PUBLIC, McpServersController)).toBeUndefined();
  });

  it('shows an admin every server with why it failed', () => {
    const { controller, mcp } = setup();

    const res = controller.list(authUser({ role: 'ADMIN' }));

    expect(res.servers).toEqual(STATES);
    expect(mcp.toolsOf).not.toHaveBeenCalled(); // listing the states connects nothing
  });

  it('shows other users the same servers without their errors', () => {
    const { controller } = setup();

    const res = controller.list(authUser({ role: 'USER' }));

    expect(res.servers).toEqual([
      STATES[0],
      STATES[1],
      {
        name: 'broken',
        transport: 'stdio',
        state: 'failed',
        toolCount: 2,
        connectedAt: '2026-11-30T16:00:00.000Z',
      },
    ]);
    expect(res.servers.some((server) => 'lastError' in server)).toBe(false);
  });
});
