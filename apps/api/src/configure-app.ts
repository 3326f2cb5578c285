import { BadRequestException } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import {
  ErrorFormatters,
  HttpExceptionFilter,
  rejectUnsafeInput,
  strictValidationPipe,
  type AppConfig,
} from '@agents/core';
import { OPENAI_COMPAT_PREFIX, openAIProcessingTime } from '@agents/openai-compat';

export const BODY_LIMIT = '1mb';

/**
 * body-parser's SyntaxError carries the parser's message, which quotes the client's input; Nest
 * would forward it verbatim. Replace it with a fixed message before Nest sees it.
 */
function rejectMalformedJson(err: unknown, _req: Request, _res: Response, next: NextFunction): void {
  const parseFailed =
    typeof err === 'object' && err !== null && (err as { type?: unknown }).type === 'entity.parse.failed';
  next(parseFailed ? new BadRequestException('The request body is not valid JSON') : err);
}

/** Everything HTTP-wide: prefix, body limit, validation, errors, CORS, logging and Swagger UI. */
export function configureApp(app: NestExpressApplication, config: AppConfig): void {
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  // req.ip keys the auth rate limit: only the proxies the operator names (TRUST_PROXY) may set it
  // through X-Forwarded-For, otherwise every client could choose its own bucket.
  app.set('trust proxy', config.trustProxy);
  // Security headers for an API; Swagger UI's inline bootstrap needs no stricter CSP than this.
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          'script-src': ["'self'", "'unsafe-inline'"],
          'img-src': ["'self'", 'data:'],
          // Deployments often serve plain HTTP behind a proxy or on a LAN address; do not force https.
          'upgrade-insecure-requests': null,
        },
      },
      crossOriginEmbedderPolicy: false,
    }),
  );
  app.setGlobalPrefix('api');
  // Before the body parser, so that its errors (bad JSON, too large) carry the header too.
  app.use(OPENAI_COMPAT_PREFIX, openAIProcessingTime);
  app.useBodyParser('json', { limit: BODY_LIMIT });
  // Nest's own default, registered here so that the check below also sees form bodies.
  app.useBodyParser('urlencoded', { extended: true });
  app.use(rejectMalformedJson);
  app.use(rejectUnsafeInput);
  app.useGlobalPipes(strictValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter(app.get(ErrorFormatters)));
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins.includes('*') ? true : config.corsOrigins,
      exposedHeaders: [
        'ETag',
        'X-Request-Id',
        'Retry-After',
        // What OpenAI's SDKs read on /api/agents/v1 (rate limits, retry pacing, timing).
        'retry-after-ms',
        'openai-processing-ms',
        'x-ratelimit-limit-requests',
        'x-ratelimit-remaining-requests',
        'x-ratelimit-reset-requests',
      ],
      maxAge: 600,
    });
  }
  app.enableShutdownHooks();

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Agents API')
      .setDescription(
        'Create AI agents, version and share them, chat with them over resumable streams. ' +
          'Register and log in under **auth**, then press **Authorize** and paste the token.',
      )
      .setVersion('0.1.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'sk-…',
          description:
            'An API key from POST /api/api-keys (`sk-` + 64 hex). Accepted only by the OpenAI-compatible ' +
            'routes under /api/agents/v1; it acts as its owner.',
        },
        'api-key',
      )
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, {
    jsonDocumentUrl: 'api/docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}
