import { createHash } from 'node:crypto';
import { MCP_DELIMITER, mcpToolId, parseMcpToolId } from '../tool';

/** What providers accept as a function name (OpenAI's rule; the others are no stricter). */
const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_LENGTH = 64;
const HASH_LENGTH = 8;

/**
 * The id of an MCP tool, which is also the function name the model calls: `<tool>_mcp_<server>`
 * when that is a valid function name. MCP allows names that are not (`notes.search`, 100 letters),
 * so those get their bad characters replaced by `_`, are shortened to fit 64 characters, and end in
 * a hash of the original name: two such names cannot meet on one id, and an id stays the same from
 * one listing to the next (agents store it). Either way the id parses back to its server.
 */
export function safeMcpToolId(tool: string, server: string): string {
  const plain = mcpToolId(tool, server);
  if (FUNCTION_NAME.test(plain) && parseMcpToolId(plain)?.tool === tool) return plain;
  const hash = createHash('sha256').update(tool).digest('hex').slice(0, HASH_LENGTH);
  const room = Math.max(0, MAX_LENGTH - MCP_DELIMITER.length - server.length - HASH_LENGTH - 1);
  const cleaned = tool.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, room);
  return mcpToolId(`${cleaned}_${hash}`, server);
}
