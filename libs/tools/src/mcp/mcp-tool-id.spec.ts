import { parseMcpToolId } from '../tool';
import { safeMcpToolId } from './mcp-tool-id';

const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

describe('safeMcpToolId', () => {
  it('is <tool>_mcp_<server> when that is a valid function name', () => {
    expect(safeMcpToolId('get_weather', 'weather')).toBe('get_weather_mcp_weather');
    expect(safeMcpToolId('list-issues', 'git-hub_2')).toBe('list-issues_mcp_git-hub_2');
  });

  it('replaces the characters a function name cannot hold and adds a hash of the original name', () => {
    const id = safeMcpToolId('notes.search', 'notes');
    expect(id).toMatch(/^notes_search_[0-9a-f]{8}_mcp_notes$/);
    expect(id).toMatch(FUNCTION_NAME);
    expect(parseMcpToolId(id)).toEqual({ tool: id.slice(0, -'_mcp_notes'.length), server: 'notes' });
  });

  it('is stable, and tells apart names that clean up the same', () => {
    expect(safeMcpToolId('files/read', 'fs')).toBe(safeMcpToolId('files/read', 'fs'));
    const ids = ['files/read', 'files.read', 'files read', 'files_read'].map((name) => safeMcpToolId(name, 'fs'));
    expect(new Set(ids).size).toBe(4);
  });

  it('shortens long names to 64 characters, keeping the server after the delimiter', () => {
    const server = 'a'.repeat(32);
    const long = `x${'y'.repeat(99)}`;
    const id = safeMcpToolId(long, server);
    expect(id).toMatch(FUNCTION_NAME);
    expect(id).toHaveLength(64);
    expect(parseMcpToolId(id)?.server).toBe(server);
    expect(safeMcpToolId(`${long}z`, server)).not.toBe(id);
  });

  it('keeps a name that fits exactly, and hashes one that is a character too long', () => {
    const fits = 'n'.repeat(64 - '_mcp_srv'.length);
    expect(safeMcpToolId(fits, 'srv')).toBe(`${fits}_mcp_srv`);
    expect(safeMcpToolId(`${fits}n`, 'srv')).toMatch(/^n+_[0-9a-f]{8}_mcp_srv$/);
  });

  it('gives an empty or all-symbol name a usable id', () => {
    expect(safeMcpToolId('', 'srv')).toMatch(/^_[0-9a-f]{8}_mcp_srv$/);
    expect(safeMcpToolId('🔧', 'srv')).toMatch(FUNCTION_NAME);
  });
});
