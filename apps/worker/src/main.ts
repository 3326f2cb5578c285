import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { ConfigError, loadConfig } from '@agents/core';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  const config = loadConfig();
  if (config.mode === 'embedded') {
    throw new ConfigError(
      'The worker process is for the distributed mode and needs DATABASE_URL (and REDIS_URL). ' +
        'In the embedded mode, `npm start` runs the worker inside the api process.',
    );
  }
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  // SIGTERM drains running generations (see GenerationProcessor), then exits 0: a planned stop, not a crash.
  app.enableShutdownHooks([], { useProcessExit: true });
  app.get(Logger).log('Worker started; waiting for jobs');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : `Failed to start: ${String(err)}`}\n`);
  process.exit(1);
});
