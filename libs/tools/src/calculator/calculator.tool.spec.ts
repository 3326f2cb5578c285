import type { ToolCallContext, ToolResult } from '../tool';
import { CalculatorTool } from './calculator.tool';

/** Slow in CPU, small in memory: a 600×600 determinant takes seconds in mathjs. */
const SLOW = 'det(random([600, 600]))';

function contextWith(signal: AbortSignal = new AbortController().signal): ToolCallContext {
  return { signal, userId: 'u1', agentId: 'a1', conversationId: null, messageId: 'm1', toolCallId: 'call_1' };
}

/** The calculator evaluates in a real child process: these tests run mathjs for real. */
describe('CalculatorTool', () => {
  let calculator: CalculatorTool;
  const run = (input: string): Promise<ToolResult> => calculator.call({ input }, contextWith());

  beforeAll(() => {
    calculator = new CalculatorTool();
  });
  afterAll(() => calculator.close());

  describe('evaluates', () => {
    it.each([
      ['2 * (3 + 4)', '14'],
      ['1 / 3', '0.33333333333333'],
      ['12.5% * 1840', '230'],
      ['0.1 + 0.2', '0.3'],
      ['5 cm to inch', '1.9685039370079 inch'],
      ['10 km/h to m/s', '2.7777777777778 m / s'],
      ['[1, 2; 3, 4] * [5; 6]', '[[17], [39]]'],
      ['det([1, 2; 3, 4])', '-2'],
      ['sqrt(-4)', '2i'],
      ['f(x) = x^2; f(3)', '9'],
      ['a = 2\na * 21', '2\n42'],
    ])('%j → %j', async (input, output) => {
      await expect(run(input)).resolves.toEqual({ output });
    });

    it('accepts the expression under "expression", as some models name it', async () => {
      await expect(calculator.call({ expression: '6 * 7' }, contextWith())).resolves.toEqual({ output: '42' });
    });
  });

  describe('reports as error results', () => {
    it("mathjs's own errors, with its message", async () => {
      await expect(run('foo + 1')).resolves.toEqual({ output: 'Error: Undefined symbol foo', isError: true });
      await expect(run('5 +')).resolves.toEqual({
        output: 'Error: Unexpected end of expression (char 4)',
        isError: true,
      });
    });

    it('a result that is a function, or no result at all', async () => {
      await expect(run('sin')).resolves.toMatchObject({ output: expect.stringMatching(/function/), isError: true });
      await expect(run('a = 1;')).resolves.toEqual({ output: 'Error: the expression has no result', isError: true });
    });

    it.each<[Record<string, unknown>, string]>([
      [{}, 'no argument'],
      [{ input: '   ' }, 'a blank one'],
      [{ input: 42 }, 'a number'],
      [{ query: '1 + 1' }, 'another name'],
    ])('missing or unusable arguments (%j: %s), naming "input"', async (args, _case) => {
      const result = await calculator.call(args, contextWith());
      expect(result.isError).toBe(true);
      expect(result.output).toMatch(/^Error: .*"input"/);
    });

    it('an expression over 2000 characters, naming the limit; 2000 pass', async () => {
      const longest = '1+'.repeat(999) + '10';
      expect(longest).toHaveLength(2000);
      await expect(run(longest)).resolves.toEqual({ output: '1009' });
      await expect(run(`${longest}0`)).resolves.toEqual({
        output: 'Error: the expression is 2001 characters long; the limit is 2000',
        isError: true,
      });
    });

    it('a result longer than the limit, rather than a truncated one', async () => {
      const result = await run('ones(100, 100)');
      expect(result).toMatchObject({ isError: true, output: expect.stringMatching(/limit is 10000$/) });
    });
  });

  describe('blocks what could escape or change the instance', () => {
    it.each([
      ['import({}, {})', 'import'],
      ['createUnit("foo")', 'createUnit'],
      ['evaluate("1+1")', 'evaluate'],
      ['parse("1")', 'parse'],
      ['compile("1")', 'compile'],
      ['simplify("x + x")', 'simplify'],
      ['derivative("x^2", "x")', 'derivative'],
      ['config({number: "BigNumber"})', 'config'],
      ['f = evaluate; f("1")', 'evaluate'],
    ])('%s', async (input, name) => {
      await expect(run(input)).resolves.toEqual({ output: `Error: Function ${name} is disabled`, isError: true });
    });

    it('keeps no variable from one call to the next', async () => {
      await expect(run('secret = 42')).resolves.toEqual({ output: '42' });
      await expect(run('secret')).resolves.toEqual({ output: 'Error: Undefined symbol secret', isError: true });
    });
  });

  it('answers ten calls made at once, each with its own result', async () => {
    const inputs = Array.from({ length: 10 }, (_, i) => `${i} * 7 + 1`);
    const results = await Promise.all(inputs.map(run));
    expect(results).toEqual(inputs.map((_, i) => ({ output: String(i * 7 + 1) })));
  });

  describe('limits', () => {
    let limited: CalculatorTool;
    beforeEach(async () => {
      limited = new CalculatorTool({ timeoutMs: 200 });
      await limited.call({ input: '1 + 1' }, contextWith()); // started: the timings below exclude the start
    });
    afterEach(() => limited.close());

    it('stops an expression that runs past the time limit, and the next call works', async () => {
      const started = Date.now();
      await expect(limited.call({ input: SLOW }, contextWith())).resolves.toEqual({
        output: 'Error: the expression took longer than 0.2 s and was stopped',
        isError: true,
      });
      expect(Date.now() - started).toBeLessThan(1500);
      await expect(limited.call({ input: '2 + 2' }, contextWith())).resolves.toEqual({ output: '4' });
    });

    it('gives each queued expression its own time limit, counted from when it runs', async () => {
      const calls = [SLOW, '3 * 3', SLOW, '4 * 4'].map((input) => limited.call({ input }, contextWith()));
      const [first, second, third, fourth] = await Promise.all(calls);
      expect(first?.isError).toBe(true);
      expect(second).toEqual({ output: '9' });
      expect(third?.isError).toBe(true);
      expect(fourth).toEqual({ output: '16' });
    });

    it('rejects with the abort reason soon after the signal fires, and the next call works', async () => {
      const controller = new AbortController();
      const call = limited.call({ input: SLOW }, contextWith(controller.signal));
      setTimeout(() => controller.abort(new Error('user aborted')), 50);
      const started = Date.now();
      await expect(call).rejects.toThrow('user aborted');
      expect(Date.now() - started).toBeLessThan(150); // well before the 200 ms limit would answer
      await expect(limited.call({ input: '5 * 5' }, contextWith())).resolves.toEqual({ output: '25' });
    });

    it('drops an aborted call that is still queued, leaving the others alone', async () => {
      const controller = new AbortController();
      const running = limited.call({ input: '2 ^ 10' }, contextWith());
      const queued = limited.call({ input: '3 ^ 3' }, contextWith(controller.signal));
      const after = limited.call({ input: '4 ^ 2' }, contextWith());
      controller.abort(new Error('gone'));
      await expect(queued).rejects.toThrow('gone');
      await expect(running).resolves.toEqual({ output: '1024' });
      await expect(after).resolves.toEqual({ output: '16' });
    });

    it('rejects at once when the signal has already fired', async () => {
      const controller = new AbortController();
      controller.abort(new Error('too late'));
      await expect(limited.call({ input: '1 + 1' }, contextWith(controller.signal))).rejects.toThrow('too late');
    });

    it('fails the pending calls when closed, and every call after', async () => {
      const pending = expect(limited.call({ input: SLOW }, contextWith())).rejects.toThrow('closed');
      await limited.close();
      await pending;
      await expect(limited.call({ input: '1 + 1' }, contextWith())).rejects.toThrow('closed');
    });
  });

  it('reports an expression that runs out of memory, survives it, and the next call works', async () => {
    const small = new CalculatorTool({ memoryLimitMb: 64, timeoutMs: 30_000 });
    try {
      // One large array: a worker thread's heap limit cannot stop it short of the whole process.
      await expect(small.call({ input: 'zeros(1e8)' }, contextWith())).resolves.toEqual({
        output: "Error: the expression needed more memory than the calculator's 64 MB",
        isError: true,
      });
      await expect(small.call({ input: '7 * 6' }, contextWith())).resolves.toEqual({ output: '42' });
    } finally {
      await small.close();
    }
  });
});
