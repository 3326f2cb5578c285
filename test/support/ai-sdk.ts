import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { AiSdkOutcome, AiSdkScenario } from './ai-sdk-client';

/** Runs one Vercel AI SDK scenario in a child process (see ./ai-sdk-client.ts) and returns what it printed. */
export function runAiSdk(scenario: AiSdkScenario, timeoutMs = 30_000): Promise<AiSdkOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', join(__dirname, 'ai-sdk-client.ts')],
      {
        cwd: join(__dirname, '../..'),
        env: { ...process.env, AI_SDK_SCENARIO: JSON.stringify(scenario) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').pop();
      if (code !== 0 || !line) {
        reject(new Error(`the AI SDK client exited with ${code}: ${stderr || stdout}`));
        return;
      }
      const outcome: AiSdkOutcome = JSON.parse(line);
      resolve(outcome);
    });
  });
}
