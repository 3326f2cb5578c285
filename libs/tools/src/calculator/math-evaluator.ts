import { type ChildProcess, spawn } from 'node:child_process';
import {
  BLOCKED_FUNCTIONS,
  EVALUATOR_PROGRAM,
  type EvaluatorReady,
  type EvaluatorReply,
  type EvaluatorSettings,
} from './evaluator-program';

export interface MathEvaluatorOptions {
  /** How long one expression may run; past it the child is killed and a fresh one takes over. */
  timeoutMs: number;
  /** The child's V8 heap; an expression that needs more ends the child, not the service. */
  memoryLimitMb: number;
  /** The longest formatted result handed back. */
  maxOutputLength: number;
  /** How long the child may take to load mathjs before the calls waiting for it fail. */
  startTimeoutMs: number;
}

/** What became of one expression: its formatted value, or why there is none (in words for the model). */
export type Evaluation = { ok: true; value: string } | { ok: false; error: string };

interface Job {
  id: number;
  expression: string;
  signal: AbortSignal;
  resolve: (evaluation: Evaluation) => void;
  reject: (reason: unknown) => void;
  onAbort: () => void;
  timer?: NodeJS.Timeout;
  /** Its caller gave up while the child had it: its reply is dropped when it comes. */
  abandoned?: boolean;
}

/**
 * Jobs sent to the child ahead of its answers. The child evaluates in order, so sending ahead saves
 * a round trip through both event loops per job: under load, that wait — not the math — was most of
 * a call's time. Bounded, so a job's place in line stays short.
 */
const MAX_IN_FLIGHT = 32;

/** One child process and where it stands. */
interface Evaluator {
  child: ChildProcess;
  ready: boolean;
  startTimer?: NodeJS.Timeout;
}

/**
 * Evaluates mathjs expressions in one long-lived child process, started on first use and fed one
 * expression at a time (each one's time limit starts when it is handed over, not while it queues).
 *
 * A child process rather than a worker thread: a worker's `resourceLimits` do not hold for one large
 * allocation (`zeros(1e8)` aborts the whole Node process, nodejs/node#47224), while a child that
 * runs out of heap takes only itself down. An expression that runs too long, runs out of memory or
 * is abandoned by its caller costs the child; the next expression gets a fresh one.
 */
export class MathEvaluator {
  private evaluator?: Evaluator;
  private readonly waiting: Job[] = [];
  /** Sent to the child, in order; the first is the one it is evaluating (its timer runs). */
  private inFlight: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: MathEvaluatorOptions) {}

  /**
   * Resolves with the expression's value or a failure to report; rejects with the signal's reason
   * when it aborts, and with an Error when the child cannot start or the evaluator is closed.
   */
  async evaluate(expression: string, signal: AbortSignal): Promise<Evaluation> {
    if (this.closed) throw new Error('the calculator is closed');
    signal.throwIfAborted();
    return new Promise<Evaluation>((resolve, reject) => {
      const job: Job = {
        id: this.nextId++,
        expression,
        signal,
        resolve,
        reject,
        onAbort: () => this.abandon(job),
      };
      signal.addEventListener('abort', job.onAbort, { once: true });
      this.waiting.push(job);
      this.dispatch();
    });
  }

  /** Starts the child ahead of the first expression, so that one does not wait for it. */
  warmUp(): void {
    if (!this.closed && !this.evaluator) this.start();
  }

  /** Kills the child and fails every call still pending. */
  async close(): Promise<void> {
    this.closed = true;
    const pending = [...this.inFlight.splice(0).filter((job) => !job.abandoned), ...this.waiting.splice(0)];
    for (const job of pending) this.settle(job, () => job.reject(new Error('the calculator was closed')));
    const child = this.evaluator?.child;
    const alive = child && child.exitCode === null && child.signalCode === null;
    const exited = alive ? new Promise<void>((resolve) => child.once('exit', () => resolve())) : undefined;
    child?.ref(); // so that waiting for its exit keeps the process up until it is gone
    this.discard();
    await exited;
  }

  /** Hands the next waiting job to the child, starting one if there is none. */
  private dispatch(): void {
    if (this.closed || this.waiting.length === 0) return;
    const evaluator = this.evaluator ?? this.start();
    if (!evaluator.ready) return; // its ready message dispatches
    while (this.inFlight.length < MAX_IN_FLIGHT && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      this.inFlight.push(job);
      evaluator.child.send({ id: job.id, expression: job.expression });
    }
    this.startHeadTimer();
  }

  /** The time limit runs for the job the child is on: the first sent and not yet answered. */
  private startHeadTimer(): void {
    const head = this.inFlight[0];
    if (head && !head.timer) head.timer = setTimeout(() => this.timeOut(head), this.options.timeoutMs);
  }

  /**
   * The child is gone (killed or dead) with its queue: the job it was on gets `headAnswer`, the
   * ones sent after it go back to the front of the line for the next child.
   */
  private restartAfterHead(headAnswer?: (job: Job) => void): void {
    const [head, ...rest] = this.inFlight.splice(0);
    this.discard();
    if (head && !head.abandoned && headAnswer) headAnswer(head);
    for (const job of rest) job.timer = undefined;
    this.waiting.unshift(...rest.filter((job) => !job.abandoned));
    this.dispatch();
  }

  private start(): Evaluator {
    const settings: EvaluatorSettings = {
      mathjsPath: require.resolve('mathjs'),
      blocked: BLOCKED_FUNCTIONS,
      maxOutputLength: this.options.maxOutputLength,
    };
    const child = spawn(
      process.execPath,
      [`--max-old-space-size=${this.options.memoryLimitMb}`, '-e', EVALUATOR_PROGRAM, JSON.stringify(settings)],
      // An empty environment: the evaluator needs none, and must never hold the service's secrets.
      { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], windowsHide: true, env: {} },
    );
    const evaluator: Evaluator = { child, ready: false };
    this.evaluator = evaluator;
    // The child never keeps the service (or a test run) alive; a pending job's timer does meanwhile.
    child.unref();
    child.channel?.unref();
    evaluator.startTimer = setTimeout(
      () => this.failStart(evaluator, `the calculator did not start within ${seconds(this.options.startTimeoutMs)}`),
      this.options.startTimeoutMs,
    );
    child.on('message', (message: EvaluatorReady | EvaluatorReply) => this.receive(evaluator, message));
    // After the start, an error (a failed send, a failed kill) comes with an exit, which handles it.
    child.on('error', (error) => {
      if (!evaluator.ready) this.failStart(evaluator, `the calculator could not start: ${error.message}`);
    });
    child.on('exit', (code, signal) => this.exited(evaluator, code, signal));
    return evaluator;
  }

  private receive(evaluator: Evaluator, message: EvaluatorReady | EvaluatorReply): void {
    if (evaluator !== this.evaluator) return;
    if ('ready' in message) {
      evaluator.ready = true;
      clearTimeout(evaluator.startTimer);
      this.dispatch();
      return;
    }
    const job = this.inFlight[0];
    if (!job || job.id !== message.id) return;
    this.inFlight.shift();
    if (!job.abandoned) {
      this.settle(job, () =>
        job.resolve('value' in message ? { ok: true, value: message.value } : { ok: false, error: message.error }),
      );
    }
    this.startHeadTimer();
    this.dispatch();
  }

  /** The child ended on its own: out of memory (V8 aborts), or something unforeseen. */
  private exited(evaluator: Evaluator, code: number | null, signal: NodeJS.Signals | null): void {
    if (evaluator !== this.evaluator) return;
    if (!evaluator.ready) {
      this.failStart(evaluator, `the calculator stopped while starting (${exitReason(code, signal)})`);
      return;
    }
    const error =
      signal === 'SIGABRT'
        ? `the expression needed more memory than the calculator's ${this.options.memoryLimitMb} MB`
        : `the calculator stopped unexpectedly (${exitReason(code, signal)})`;
    this.restartAfterHead((job) => this.settle(job, () => job.resolve({ ok: false, error })));
  }

  private timeOut(job: Job): void {
    if (this.inFlight[0] !== job) return;
    const error = `the expression took longer than ${seconds(this.options.timeoutMs)} and was stopped`;
    this.restartAfterHead((head) => this.settle(head, () => head.resolve({ ok: false, error })));
  }

  /**
   * The caller gave up: forget a waiting job; stop the child if it is working on this one; a job
   * sent but not started is answered now and its reply dropped when it comes.
   */
  private abandon(job: Job): void {
    const answer = (): void => this.settle(job, () => job.reject(job.signal.reason));
    if (this.inFlight[0] === job) {
      job.abandoned = true;
      answer();
      this.restartAfterHead();
      return;
    }
    if (this.inFlight.includes(job)) {
      job.abandoned = true;
      answer();
      return;
    }
    const at = this.waiting.indexOf(job);
    if (at < 0) return;
    this.waiting.splice(at, 1);
    answer();
  }

  /** A child that never got ready fails the calls waiting for it rather than being restarted in a loop. */
  private failStart(evaluator: Evaluator, reason: string): void {
    if (evaluator !== this.evaluator) return;
    this.discard();
    for (const job of this.waiting.splice(0)) this.settle(job, () => job.reject(new Error(reason)));
  }

  /** Kills the current child (if any) and forgets it: its later messages and exit are ignored. */
  private discard(): void {
    const evaluator = this.evaluator;
    if (!evaluator) return;
    this.evaluator = undefined;
    clearTimeout(evaluator.startTimer);
    evaluator.child.kill('SIGKILL');
  }

  /** Answers a job once: its timer and abort listener go with it. */
  private settle(job: Job, answer: () => void): void {
    clearTimeout(job.timer);
    job.signal.removeEventListener('abort', job.onAbort);
    answer();
  }
}

function seconds(ms: number): string {
  return `${ms / 1000} s`;
}

function exitReason(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${String(code)}`;
}
