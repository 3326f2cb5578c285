import { IsIn, Matches } from 'class-validator';
import { AGENT_ID_PATTERN, OptionalNotNull } from '@agents/core';
import { TOOL_RESOURCES, type ToolResource } from '../file.entity';

/** The text fields of an upload (the `file` part itself is read by the interceptor). */
export class UploadFileDto {
  /** Attach the file to this agent (needs EDIT on it). @example "agent_V1StGXR8Z5jdHi6B-myT1" */
  @OptionalNotNull()
  @Matches(AGENT_ID_PATTERN, { message: 'agent_id must be an agent id (agent_ followed by 21 characters)' })
  agent_id?: string;

  /** Which tool resource of the agent to list the file under; the file's purpose. @example "file_search" */
  @OptionalNotNull()
  @IsIn(TOOL_RESOURCES)
  tool_resource?: ToolResource;
}
