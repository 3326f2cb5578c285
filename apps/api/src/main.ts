import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigError, loadConfig, startEmbeddedIfNeeded } from '@agents/core';
import { AppModule } from './app.module';
import { configureApp } from './configure-app';

async function main(): Promise<void> {
  const config = loadConfig();
  const embedded = await startEmbeddedIfNeeded(config);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, embedded), {
    bufferLogs: true,
    abortOnError: false,
  });
  // Registered before configureApp's own call (which then adds nothing): after a SIGTERM has closed
  // the SSE clients and drained, the process exits 0, a planned stop rather than death by signal.
  app.enableShutdownHooks([], { useProcessExit: true });
  configureApp(app, config);
  await app.listen(config.port, config.host);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`Failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  process.exit(1);
});
