/** The payload of a `generation` queue job: everything the worker needs, pinned at start time. */
export interface GenerationJob {
  streamId: string;
  conversationId: string;
  userId: string;
  agentId: string;
  /** The agent version current when the user pressed send; later edits do not change this answer. */
  agentVersion: number;
  userMessageId: string;
  responseMessageId: string;
}

export const GENERATION_QUEUE = 'generation';
