import type { ChatMessage } from './chat-provider';
import {
  ContextBudgetExceededError,
  IMAGE_CHARS,
  fitContextBudget,
  messageChars,
  requiredChars,
} from './context-budget';

const user = (content: string): ChatMessage => ({ role: 'user', content });
const assistant = (content: string): ChatMessage => ({ role: 'assistant', content });
/** A message of exactly `n` characters. */
const chars = (n: number, tag = 'x'): string => tag.repeat(n);

describe('context budget', () => {
  describe('messageChars', () => {
    it('counts the text, and the names and arguments of tool calls', () => {
      expect(messageChars(user('hello'))).toBe(5);
      expect(
        messageChars({
          role: 'assistant',
          content: 'ok',
          toolCalls: [{ id: 'c1', name: 'calc', arguments: '{"a":1}' }],
        }),
      ).toBe(2 + 4 + 7);
      expect(messageChars({ role: 'tool', content: '42', toolCallId: 'c1' })).toBe(2);
    });

    it('counts each image of a user message at a fixed cost, whatever its size', () => {
      const image = { mimeType: 'image/png', data: 'A'.repeat(50_000) };
      expect(messageChars({ role: 'user', content: 'look', images: [image, image] })).toBe(4 + 2 * IMAGE_CHARS);
      expect(requiredChars({ instructions: 'ab', messages: [{ role: 'user', content: '', images: [image] }] })).toBe(
        2 + IMAGE_CHARS,
      );
    });
  });

  describe('requiredChars', () => {
    it('is the instructions plus the newest user message and what follows it', () => {
      const messages = [user(chars(100)), assistant(chars(50)), user(chars(30)), assistant(chars(7))];
      expect(requiredChars({ instructions: chars(10), messages })).toBe(10 + 30 + 7);
      expect(requiredChars({ messages: [assistant(chars(9))] })).toBe(9);
      expect(requiredChars({ instructions: 'abc', messages: [] })).toBe(3);
    });
  });

  describe('fitContextBudget', () => {
    it('returns the request itself when it fits', () => {
      const request = { instructions: 'Be brief.', messages: [user('a'), assistant('b'), user('c')], model: 'm' };
      expect(fitContextBudget(request, 1000)).toBe(request);
    });

    it('drops the oldest messages first, keeping instructions and the newest user message', () => {
      const messages = [
        user(chars(40, 'a')),
        assistant(chars(40, 'b')),
        user(chars(40, 'c')),
        assistant(chars(40, 'd')),
      ];
      const newest = user(chars(40, 'e'));
      const fitted = fitContextBudget({ instructions: chars(20), messages: [...messages, newest] }, 20 + 40 * 3);
      expect(fitted.instructions).toBe(chars(20));
      expect(fitted.messages).toEqual([messages[2], messages[3], newest]);
    });

    it('counts the budget exactly: a message that fits to the character is kept', () => {
      const messages = [user(chars(10)), assistant(chars(10)), user(chars(10))];
      expect(fitContextBudget({ messages }, 30).messages).toHaveLength(3);
      // One character short: the oldest question goes, and with it its answer (history starts with a user).
      expect(fitContextBudget({ messages }, 29).messages).toEqual([messages[2]]);
    });

    it('never starts the history with an answer or a tool result whose question was dropped', () => {
      const messages: ChatMessage[] = [
        user(chars(100)),
        { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'calc', arguments: '{}' }] },
        { role: 'tool', content: '42', toolCallId: 'c1' },
        assistant('It is 42.'),
        user('thanks'),
      ];
      expect(fitContextBudget({ messages }, 50).messages).toEqual([user('thanks')]);
    });

    it('keeps what follows the newest user message, such as an assistant prefill', () => {
      const messages = [user(chars(100)), assistant(chars(100)), user('q'), assistant('Sure,')];
      expect(fitContextBudget({ messages }, 10).messages).toEqual([user('q'), assistant('Sure,')]);
    });

    it('refuses when the instructions and the newest user message alone are over the budget', () => {
      let error: unknown;
      try {
        fitContextBudget({ instructions: chars(60), messages: [user('old'), user(chars(50))] }, 100);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ContextBudgetExceededError);
      expect(error).toMatchObject({ requiredChars: 110, budgetChars: 100 });
      expect((error as Error).message).toContain('110');
    });

    it('does not change the request it was given', () => {
      const messages = [user(chars(50)), assistant(chars(50)), user('newest')];
      const request = { messages };
      fitContextBudget(request, 10);
      expect(request.messages).toBe(messages);
      expect(messages).toHaveLength(3);
    });
  });
});
