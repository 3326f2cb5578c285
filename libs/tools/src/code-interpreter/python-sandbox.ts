import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { join } from 'node:path';
import { CappedOutput } from './workspace-files';
import { RUNNER_PROGRAM, runnerArgument, type RunnerLimits } from './runner-program';

/** Where the sandbox tools are looked for (the service's PATH is not consulted). */
const SEARCH_PATH = ['/usr/local/bin', '/usr/bin', '/bin'];

/**
 * The uid a service running as root drops to for the sandbox. RLIMIT_NPROC does not hold for root
 * (the kernel exempts the init user's processes), so a fork bomb is only bounded for another user.
 */
export const SANDBOX_UID = 65534;

/** Where the working folder appears inside the sandbox. */
export const SANDBOX_WORKDIR = '/work';

/**
 * The environment the code sees, and nothing else. Single-threaded BLAS keeps numpy within the
 * process limit; matplotlib and fontconfig cache in the sandbox's /tmp, not in the results folder.
 */
const SANDBOX_ENV: Readonly<Record<string, string>> = {
  HOME: SANDBOX_WORKDIR,
  PATH: '/usr/bin:/bin',
  LANG: 'C.UTF-8',
  TMPDIR: '/tmp',
  MPLBACKEND: 'Agg',
  MPLCONFIGDIR: '/tmp/.matplotlib',
  XDG_CACHE_HOME: '/tmp/.cache',
  OPENBLAS_NUM_THREADS: '1',
  OMP_NUM_THREADS: '1',
  PYTHONIOENCODING: 'utf-8',
  PYTHONDONTWRITEBYTECODE: '1',
};

/** Read-only parts of /etc the Python stack needs: the BLAS alternatives, the loader cache, fonts. */
const ETC_BINDS = ['/etc/alternatives', '/etc/ld.so.cache', '/etc/matplotlibrc', '/etc/fonts', '/etc/localtime'];

export interface SandboxLimits extends Omit<RunnerLimits, 'cpuSeconds' | 'addressSpaceBytes'> {
  /** Wall time; the sandbox is killed past it. */
  timeoutSeconds: number;
  memoryMb: number;
  /** Size of the sandbox's private /tmp (a tmpfs). */
  tmpBytes: number;
  /** Bytes of stdout and of stderr kept for the model. */
  outputBytes: number;
  /** Bytes of stdout plus stderr after which the sandbox is stopped. */
  outputKillBytes: number;
}

/** The programs a sandbox runs with, found once. */
export interface SandboxTools {
  python: string;
  bwrap: string;
  /** Set when the service runs as root: the sandbox drops to SANDBOX_UID through it. */
  setpriv?: string;
}

export interface SandboxRun {
  stdout: CappedOutput;
  stderr: CappedOutput;
  exitCode: number | null;
  /** The signal that ended the code, from the exit status bwrap passes on (128 + n) or its own. */
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Stopped for printing more than `outputKillBytes`. */
  outputExceeded: boolean;
  durationMs: number;
}

/** Finds a program by absolute path, or by name in SEARCH_PATH. */
export function findProgram(name: string): string | undefined {
  if (name.includes('/')) return existsSync(name) ? name : undefined;
  return SEARCH_PATH.map((folder) => join(folder, name)).find((path) => existsSync(path));
}

/**
 * The interpreter for a CODE_INTERPRETER_PYTHON setting: the default `python3` means the system's
 * `/usr/bin/python3` (a `python3` earlier on PATH may be a pyenv shim without the data libraries).
 * It must live under /usr, the only program tree the sandbox mounts.
 */
export function resolvePython(setting: string): { python: string } | { error: string } {
  const found = setting === 'python3' && existsSync('/usr/bin/python3') ? '/usr/bin/python3' : findProgram(setting);
  if (!found) return { error: `Python was not found (${setting})` };
  const real = realpathSync(found);
  if (!real.startsWith('/usr/')) {
    return { error: `the interpreter ${real} is outside /usr, which is all the sandbox mounts` };
  }
  return { python: found };
}

/**
 * The command line that runs the runner in a bubblewrap sandbox: every namespace unshared (no
 * network, own pids, own user), a fresh root with only /usr and a few files of /etc read-only, a
 * private /proc, /dev and size-bounded /tmp, the working folder at /work, an environment of its own,
 * and all of it killed with its parent.
 */
export function sandboxCommand(
  tools: SandboxTools,
  workdir: string,
  limits: SandboxLimits,
): { file: string; args: string[] } {
  const runnerLimits: RunnerLimits = {
    cpuSeconds: Math.max(1, Math.ceil(limits.timeoutSeconds)),
    addressSpaceBytes: limits.memoryMb * 1024 * 1024,
    processes: limits.processes,
    fileSizeBytes: limits.fileSizeBytes,
    openFiles: limits.openFiles,
  };
  const bwrapArgs = [
    '--unshare-all',
    '--unshare-user',
    '--die-with-parent',
    '--new-session',
    '--ro-bind',
    '/usr',
    '/usr',
    ...['lib', 'lib64', 'bin', 'sbin'].flatMap((link) =>
      existsSync(`/usr/${link}`) ? ['--symlink', `usr/${link}`, `/${link}`] : [],
    ),
    ...ETC_BINDS.flatMap((path) => ['--ro-bind-try', path, path]),
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--size',
    String(limits.tmpBytes),
    '--tmpfs',
    '/tmp',
    '--bind',
    workdir,
    SANDBOX_WORKDIR,
    '--chdir',
    SANDBOX_WORKDIR,
    '--clearenv',
    ...Object.entries(SANDBOX_ENV).flatMap(([name, value]) => ['--setenv', name, value]),
    '--',
    tools.python,
    '-c',
    RUNNER_PROGRAM,
    runnerArgument(runnerLimits),
  ];
  if (!tools.setpriv) return { file: tools.bwrap, args: bwrapArgs };
  const uid = String(SANDBOX_UID);
  return {
    file: tools.setpriv,
    args: [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', tools.bwrap, ...bwrapArgs],
  };
}

/**
 * Runs `code` in the sandbox and reports how it went. Rejects with the signal's reason when it
 * aborts, once the sandbox is killed.
 */
export async function runInSandbox(
  tools: SandboxTools,
  workdir: string,
  code: string,
  limits: SandboxLimits,
  signal: AbortSignal,
): Promise<SandboxRun> {
  signal.throwIfAborted();
  const { file, args } = sandboxCommand(tools, workdir, limits);
  // An empty environment for bwrap itself too: nothing of the service's reaches the sandbox.
  // Detached: a process group of its own, killed as one.
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: {}, detached: true });
  const run = await watch(child, code, limits, signal);
  signal.throwIfAborted();
  return run;
}

/**
 * Feeds the code, collects the output (bounded), and enforces the wall time, the output limit and
 * the abort. Once aborted, it settles as soon as the sandbox is killed, without its last output.
 */
function watch(
  child: ChildProcessByStdio<Writable, Readable, Readable>,
  code: string,
  limits: SandboxLimits,
  signal: AbortSignal,
): Promise<SandboxRun> {
  const started = Date.now();
  const stdout = new CappedOutput(limits.outputBytes);
  const stderr = new CappedOutput(limits.outputBytes);
  let timedOut = false;
  let outputExceeded = false;

  const kill = (): void => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGKILL'); // its process group: setpriv/bwrap; the namespace dies with them
    } catch {
      child.kill('SIGKILL');
    }
  };
  const onData = (output: CappedOutput) => (chunk: Buffer) => {
    output.push(chunk);
    if (!outputExceeded && stdout.total + stderr.total > limits.outputKillBytes) {
      outputExceeded = true;
      kill();
    }
  };
  child.stdout.on('data', onData(stdout));
  child.stderr.on('data', onData(stderr));
  child.stdin.on('error', () => undefined); // the code may exit before reading it all
  child.stdin.end(code);

  return new Promise<SandboxRun>((resolve, reject) => {
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, limits.timeoutSeconds * 1000);
    const onAbort = (): void => kill();
    signal.addEventListener('abort', onAbort, { once: true });
    const finish = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    child.once('error', (error) => {
      finish();
      reject(error);
    });
    const outcome = (code: number | null, killedBy: NodeJS.Signals | null): SandboxRun => {
      const passedSignal = code !== null && code > 128 ? signalName(code - 128) : null;
      return {
        stdout,
        stderr,
        exitCode: killedBy ? null : code,
        signal: killedBy ?? passedSignal,
        timedOut,
        outputExceeded,
        durationMs: Date.now() - started,
      };
    };
    child.once('exit', (code, killedBy) => {
      if (signal.aborted) {
        finish();
        resolve(outcome(code, killedBy));
        return;
      }
      // The pipes close with the sandbox's last process; should one linger, its output is not waited for.
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, 500).unref();
    });
    child.once('close', (code: number | null, killedBy: NodeJS.Signals | null) => {
      finish();
      resolve(outcome(code, killedBy));
    });
  });
}

const SIGNALS: Readonly<Record<number, NodeJS.Signals>> = {
  6: 'SIGABRT',
  9: 'SIGKILL',
  11: 'SIGSEGV',
  15: 'SIGTERM',
  24: 'SIGXCPU',
  25: 'SIGXFSZ',
};

function signalName(number: number): NodeJS.Signals | null {
  return SIGNALS[number] ?? null;
}
