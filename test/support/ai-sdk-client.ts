/**
 * Drives the Vercel AI SDK (`ai` + `@ai-sdk/openai`) as its users would, in a child process: the
 * SDK ships as ES modules only, which Jest's CommonJS runtime cannot load, while Node's own
 * require can (Node ≥ 20.19). Tests start it through {@link runAiSdk} in ./ai-sdk.ts.
 *
 * Reads one JSON scenario from the AI_SDK_SCENARIO variable, holds a multi-turn conversation
 * (each turn's `response.messages` appended to the next one's messages, as the SDK's docs show),
 * and prints one JSON line: every answer's text and every request body the SDK sent.
 */
import { APICallError, generateText, type ModelMessage } from 'ai';
import { createOpenAI } from '@ai-sdk/openai';

export interface AiSdkScenario {
  baseURL: string;
  apiKey: string;
  model: string;
  /** `responses` (OpenAI's Responses API) or `chat` (chat completions). */
  api: 'responses' | 'chat';
  /** The user's messages, one per turn. */
  turns: string[];
}

export interface AiSdkOutcome {
  texts: string[];
  /** The JSON bodies the SDK posted, in order. */
  requests: unknown[];
  error?: { message: string; status?: number; body?: string };
}

async function main(): Promise<void> {
  const scenario: AiSdkScenario = JSON.parse(process.env.AI_SDK_SCENARIO ?? '{}');
  const requests: unknown[] = [];
  const outcome: AiSdkOutcome = { texts: [], requests };
  const recordingFetch: typeof fetch = async (input, init) => {
    if (typeof init?.body === 'string') requests.push(JSON.parse(init.body));
    return fetch(input, init);
  };
  const provider = createOpenAI({ apiKey: scenario.apiKey, baseURL: scenario.baseURL, fetch: recordingFetch });
  const model = scenario.api === 'chat' ? provider.chat(scenario.model) : provider.responses(scenario.model);
  const messages: ModelMessage[] = [];
  try {
    for (const turn of scenario.turns) {
      messages.push({ role: 'user', content: turn });
      const result = await generateText({ model, messages, maxRetries: 0 });
      outcome.texts.push(result.text);
      messages.push(...result.response.messages);
    }
  } catch (err) {
    outcome.error = APICallError.isInstance(err)
      ? { message: err.message, status: err.statusCode, body: err.responseBody }
      : { message: err instanceof Error ? err.message : String(err) };
  }
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
}

void main();
