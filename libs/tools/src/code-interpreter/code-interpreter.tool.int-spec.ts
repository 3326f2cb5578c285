import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FileExcerpt, ToolCallContext, ToolFileRef, ToolFiles, ToolResult } from '../tool';
import { CodeInterpreterTool, conversationFolder } from './code-interpreter.tool';

/** ToolFiles in memory: the files a call may use, and the ones it stores. */
class MemoryFiles implements ToolFiles {
  readonly saved: Array<ToolFileRef & { data: Buffer }> = [];
  private readonly inputs: Array<ToolFileRef & { data: Buffer }>;

  constructor(inputs: Array<{ filename: string; mimeType: string; data: Buffer }> = []) {
    this.inputs = inputs.map((file, i) => ({ ...file, id: `in-${i}`, bytes: file.data.length }));
  }

  list(): Promise<ToolFileRef[]> {
    return Promise.resolve(this.inputs.map(({ data: _data, ...ref }) => ref));
  }

  read(fileId: string): Promise<Buffer> {
    const file = this.inputs.find((input) => input.id === fileId);
    return file ? Promise.resolve(file.data) : Promise.reject(new Error('no such file'));
  }

  search(): Promise<FileExcerpt[]> {
    return Promise.resolve([]);
  }

  save(file: { filename: string; mimeType: string; data: Buffer }): Promise<ToolFileRef> {
    const ref = {
      id: `out-${this.saved.length}`,
      filename: file.filename,
      mimeType: file.mimeType,
      bytes: file.data.length,
    };
    this.saved.push({ ...ref, data: file.data });
    return Promise.resolve(ref);
  }
}

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A marker of the runner's command line: finds the sandboxed Python processes on the machine. */
const RUNNER_MARK = 'RLIMIT_NPROC';

function sandboxProcesses(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(RUNNER_MARK);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((done) => setTimeout(done, 20));
  }
  return check();
}

// Decided before the tests are collected; with the programs there, a probe that fails fails the file.
const sandboxPresent = existsSync('/usr/bin/bwrap') && existsSync('/usr/bin/python3');
const describeSandbox = sandboxPresent ? describe : describe.skip;

describeSandbox('CodeInterpreterTool (real Python in bubblewrap; skipped without bwrap and /usr/bin/python3)', () => {
  const settings = { python: 'python3', timeoutSeconds: 10, memoryMb: 512 };
  let root: string;
  let workRoot: string;
  let tool: CodeInterpreterTool;

  function contextFor(conversationId: string | null, files?: ToolFiles, signal?: AbortSignal): ToolCallContext {
    return {
      signal: signal ?? new AbortController().signal,
      userId: 'user-1',
      agentId: 'agent-1',
      conversationId,
      messageId: 'message-1',
      toolCallId: 'call-1',
      files,
    };
  }

  const run = (
    code: string,
    conversationId: string | null = 'conversation-1',
    files?: ToolFiles,
  ): Promise<ToolResult> => tool.call({ lang: 'py', code }, contextFor(conversationId, files));

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'code-interpreter-'));
    // A service running as root drops to another uid for the sandbox, which must reach the work root.
    await chmod(root, 0o711);
    workRoot = join(root, 'code');
    await expect(CodeInterpreterTool.diagnose(settings, { workRoot })).resolves.toMatchObject({ available: true });
    tool = new CodeInterpreterTool(settings, { workRoot });
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  describe('runs Python', () => {
    it('prints', async () => {
      await expect(run('print("hello", 6 * 7)')).resolves.toEqual({ output: 'hello 42' });
    });

    it("reports an exception with its traceback, the user's lines only, as an error", async () => {
      const result = await run('x = 1\nraise ValueError("bad value")');
      expect(result.isError).toBe(true);
      expect(result.output).toContain('File "main.py", line 2');
      expect(result.output).toContain('ValueError: bad value');
      expect(result.output).toContain('(exit status 1)');
      expect(result.output).not.toContain('exec(code');
    });

    it('refuses another language and missing code', async () => {
      await expect(tool.call({ lang: 'js', code: '1' }, contextFor('c'))).resolves.toMatchObject({ isError: true });
      await expect(tool.call({}, contextFor('c'))).resolves.toMatchObject({
        isError: true,
        output: expect.stringContaining('"code"'),
      });
    });

    it('reads a CSV it was given with pandas and returns the PNG matplotlib wrote', async () => {
      const files = new MemoryFiles([
        { filename: 'sales.csv', mimeType: 'text/csv', data: Buffer.from('month,amount\njan,10\nfeb,32\n') },
      ]);
      const code = [
        'import pandas as pd',
        'import matplotlib.pyplot as plt',
        'df = pd.read_csv("sales.csv")',
        'print("total", df["amount"].sum())',
        'df.plot(x="month", y="amount").get_figure().savefig("chart.png")',
      ].join('\n');
      const result = await run(code, 'conversation-chart', files);
      expect(result.isError).toBeUndefined();
      expect(result.output).toMatch(/^total 42\nFiles written: chart\.png \(\d+ KB\)$/);
      expect(files.saved).toHaveLength(1);
      const [png] = files.saved;
      expect(png).toMatchObject({ filename: 'chart.png', mimeType: 'image/png' });
      expect(png?.data.subarray(0, 8).equals(PNG_MAGIC)).toBe(true);
      expect(result.attachments).toEqual([
        { type: 'file', fileId: 'out-0', filename: 'chart.png', mimeType: 'image/png', bytes: png?.data.length },
      ]);
    });

    it("keeps a conversation's folder between calls, apart from other conversations'", async () => {
      await expect(run('open("notes.txt", "w").write("kept")', 'conversation-a')).resolves.toMatchObject({
        output: expect.stringContaining('notes.txt'),
      });
      await expect(run('print(open("notes.txt").read())', 'conversation-a')).resolves.toEqual({ output: 'kept' });
      const other = await run('print(open("notes.txt").read())', 'conversation-b');
      expect(other).toMatchObject({ isError: true, output: expect.stringContaining('FileNotFoundError') });
    });

    it('gives a call without a conversation a folder of its own, removed after', async () => {
      await expect(
        run('open("t.txt", "w").write("x"); import os; print(os.listdir("."))', null),
      ).resolves.toMatchObject({
        output: expect.stringContaining("['t.txt']"),
      });
      expect((await readdir(workRoot)).filter((name) => name.startsWith('tmp-'))).toEqual([]);
    });
  });

  describe('keeps the code in (each of these must fail)', () => {
    it("reading the service's environment", async () => {
      const secret = `secret-${randomBytes(8).toString('hex')}`;
      // The service's own environment, which the sandbox must not see.
      // eslint-disable-next-line no-restricted-properties
      process.env.CODE_INTERPRETER_TEST_SECRET = secret;
      try {
        const code = [
          'import os, glob',
          'print(sorted(os.environ))',
          'print(dict(os.environ))',
          `for path in ["/proc/1/environ", "/proc/${process.pid}/environ", "/proc/${process.ppid}/environ"] + glob.glob("/proc/*/environ"):`,
          '    try:',
          '        print(path, open(path, "rb").read())',
          '    except OSError as error:',
          '        print(path, type(error).__name__)',
        ].join('\n');
        const result = await run(code);
        expect(result.output).toContain("'HOME'");
        expect(result.output).not.toContain(secret);
        expect(result.output).not.toContain('CODE_INTERPRETER_TEST_SECRET');
        expect(result.output).toContain(`/proc/${process.pid}/environ FileNotFoundError`);
      } finally {
        // eslint-disable-next-line no-restricted-properties
        delete process.env.CODE_INTERPRETER_TEST_SECRET;
      }
    });

    it("reading the service's files", async () => {
      const outside = await mkdtemp(join(tmpdir(), 'service-file-'));
      const secret = `secret-${randomBytes(8).toString('hex')}`;
      await writeFile(join(outside, 'secret.txt'), secret);
      await chmod(outside, 0o755); // readable by anyone on the host: only the sandbox keeps it out
      try {
        const paths = [join(outside, 'secret.txt'), resolve('package.json'), join(root, 'code'), '/etc/passwd'];
        const code = [
          `for path in ${JSON.stringify(paths)}:`,
          '    try:',
          '        print(path, open(path).read()[:200])',
          '    except OSError as error:',
          '        print(path, type(error).__name__)',
        ].join('\n');
        const result = await run(code);
        expect(result.output).not.toContain(secret);
        expect(result.output).not.toContain('"name"');
        for (const path of paths)
          expect(result.output).toMatch(new RegExp(`${path} (FileNotFoundError|IsADirectoryError|PermissionError)`));
      } finally {
        await rm(outside, { recursive: true, force: true });
      }
    });

    it("reading another conversation's folder", async () => {
      const secret = `secret-${randomBytes(8).toString('hex')}`;
      await run(`open("mine.txt", "w").write(${JSON.stringify(secret)})`, 'conversation-owner');
      const theirs = conversationFolder('user-1', 'conversation-owner');
      const code = [
        'import os',
        `for path in ["../${theirs}/mine.txt", "${join(workRoot, theirs, 'mine.txt')}", "/work/../${theirs}/mine.txt"]:`,
        '    try:',
        '        print(path, open(path).read())',
        '    except OSError as error:',
        '        print(path, type(error).__name__)',
        'print(os.listdir(".."))',
      ].join('\n');
      const result = await run(code, 'conversation-intruder');
      expect(result.output).not.toContain(secret);
      expect(result.output).not.toContain(theirs.slice(0, 16) + "'");
      expect(result.output.match(/FileNotFoundError/g)).toHaveLength(3);
    });

    it('handing back or writing through a symbolic link to a file of the service', async () => {
      const outside = await mkdtemp(join(tmpdir(), 'service-file-'));
      const secretPath = join(outside, 'secret.txt');
      const secret = `secret-${randomBytes(8).toString('hex')}`;
      await writeFile(secretPath, secret);
      try {
        const files = new MemoryFiles([{ filename: 'input.csv', mimeType: 'text/csv', data: Buffer.from('a\n1\n') }]);
        const code = `import os\nos.symlink(${JSON.stringify(secretPath)}, "leak.txt")\nos.symlink(${JSON.stringify(secretPath)}, "input.csv")`;
        await run(code, 'conversation-links');
        // The next call copies input.csv in: the link stands, the service's file is not written through.
        const result = await run(
          'print(sorted(os.listdir(".")) if (os := __import__("os")) else 0)',
          'conversation-links',
          files,
        );
        expect(result.output).toBe("['input.csv', 'leak.txt']");
        expect(files.saved).toEqual([]);
        expect(readFileSync(secretPath, 'utf8')).toBe(secret);
      } finally {
        await rm(outside, { recursive: true, force: true });
      }
    });

    describe('the network', () => {
      let server: Server;
      let port: number;
      let connections = 0;
      beforeAll(async () => {
        server = createServer((socket) => {
          connections += 1;
          socket.end('hello');
        });
        await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
        port = (server.address() as { port: number }).port;
      });
      afterAll(() => new Promise<void>((done) => server.close(() => done())));

      it('a connection to a server of the host, and DNS', async () => {
        const code = [
          'import socket',
          'try:',
          `    socket.create_connection(("127.0.0.1", ${port}), timeout=3).recv(5)`,
          '    print("connected")',
          'except OSError as error:',
          '    print("connect failed:", error)',
          'try:',
          '    print(socket.getaddrinfo("example.com", 80))',
          'except OSError as error:',
          '    print("dns failed:", error)',
        ].join('\n');
        const result = await run(code);
        expect(result.output).toMatch(/^connect failed: .*\ndns failed: /);
        expect(connections).toBe(0);
      });
    });

    it('a fork bomb: bounded by the process limit, and the call ends', async () => {
      const code = [
        'import os, time',
        'count = 0',
        'for _ in range(1000):',
        '    try:',
        '        pid = os.fork()',
        '    except OSError as error:',
        '        print("fork failed:", error.strerror)',
        '        break',
        '    if pid == 0:',
        '        time.sleep(2)',
        '        os._exit(0)',
        '    count += 1',
        'print("forked", count)',
      ].join('\n');
      const result = await run(code);
      expect(result.output).toContain('fork failed: Resource temporarily unavailable');
      const forked = Number(/forked (\d+)/.exec(result.output)?.[1]);
      expect(forked).toBeLessThan(64);
      expect(await waitFor(() => sandboxProcesses().length === 0, 1000)).toBe(true);
    });

    it('a memory bomb', async () => {
      const result = await run('data = bytearray(2 * 10**9)\nprint("allocated")');
      expect(result).toMatchObject({ isError: true, output: expect.stringContaining('MemoryError') });
      expect(result.output).not.toContain('allocated');
    });

    it('an endless loop: stopped at the time limit', async () => {
      const quick = new CodeInterpreterTool({ ...settings, timeoutSeconds: 2 }, { workRoot });
      const started = Date.now();
      const result = await quick.call({ code: 'print("looping")\nwhile True: pass' }, contextFor('conversation-loop'));
      expect(Date.now() - started).toBeLessThan(4000);
      expect(result).toEqual({ output: 'looping\n(stopped: the code ran longer than 2 s)', isError: true });
    });

    it('a gigabyte of output: kept to 64 KB, the code stopped, the service unharmed', async () => {
      const before = process.memoryUsage().rss;
      const started = Date.now();
      const result = await run('import sys\nwhile True:\n    sys.stdout.write("x" * 65536)');
      expect(Date.now() - started).toBeLessThan(5000);
      expect(result.isError).toBe(true);
      expect(result.output.length).toBeLessThan(70_000);
      expect(result.output).toContain('(stopped: the code printed more than 4 MB)');
      expect(result.output).toMatch(/output cut: /);
      expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);

      const single = await run("print('x' * 10**9)");
      expect(single).toMatchObject({ isError: true, output: expect.stringContaining('MemoryError') });
    });

    it('writing a huge file: stopped at 50 MB', async () => {
      const code = [
        'with open("huge.bin", "wb") as f:',
        '    for _ in range(200):',
        '        f.write(b"x" * 2**20)',
      ].join('\n');
      const result = await run(code, 'conversation-huge', new MemoryFiles());
      expect(result).toMatchObject({ isError: true, output: expect.stringContaining('File too large') });
      const size = (await stat(join(workRoot, conversationFolder('user-1', 'conversation-huge'), 'huge.bin'))).size;
      expect(size).toBeLessThanOrEqual(50 * 1024 * 1024);
      expect(result.output).toMatch(/Files not returned: huge\.bin \(50\.0 MB, over 10\.0 MB\)/);
    });
  });

  it('rejects within a second of an abort, with the sandbox gone', async () => {
    const controller = new AbortController();
    const call = tool.call(
      { code: 'import time\ntime.sleep(30)' },
      contextFor('conversation-abort', undefined, controller.signal),
    );
    const outcome = call.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    expect(await waitFor(() => sandboxProcesses().length > 0, 3000)).toBe(true);
    const started = Date.now();
    controller.abort(new Error('user aborted'));
    const error = await outcome;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error).toEqual(new Error('user aborted'));
    // Killed, not left to sleep its 30 s: the kernel reaps it at once on a quiet machine, within
    // a few seconds on a loaded one (500 ms failed once on CI).
    expect(await waitFor(() => sandboxProcesses().length === 0, 3000)).toBe(true);
  });
});
