import type { AuthUser } from '@agents/auth';
import type { FilesService } from '@agents/files';
import { AgentFileOwnership } from './agent-file-ownership';

const MINE = '11111111-1111-4111-8111-111111111111';
const THEIRS = '22222222-2222-4222-8222-222222222222';
const LISTED = '33333333-3333-4333-8333-333333333333';

describe('AgentFileOwnership', () => {
  const files = {
    ownedIds: jest.fn((_u: string, ids: string[]) => Promise.resolve(new Set(ids.filter((id) => id === MINE)))),
  };
  const check = new AgentFileOwnership(files as unknown as FilesService);
  const user = { id: 'u1', role: 'USER' } as AuthUser;

  it('names each file id the caller does not own, by resource and index', async () => {
    const problems = await check.problems(user, {
      file_search: { file_ids: [MINE, THEIRS] },
      context: { file_ids: ['nope'] },
    });
    expect(problems.map((p) => p.field)).toEqual([
      'tool_resources.file_search.file_ids[1]',
      'tool_resources.context.file_ids[0]',
    ]);
  });

  it('lets ids the agent already lists stay, and asks nothing when nothing is added', async () => {
    files.ownedIds.mockClear();
    const current = { file_search: { file_ids: [LISTED] } };
    expect(await check.problems(user, { code_interpreter: { file_ids: [LISTED] } }, current)).toEqual([]);
    expect(files.ownedIds).not.toHaveBeenCalled();
    expect(await check.problems(user, undefined, current)).toEqual([]);
  });
});
