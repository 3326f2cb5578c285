import {
  BadRequestException,
  Injectable,
  PayloadTooLargeException,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { catchError, type Observable } from 'rxjs';
import { AppConfig, PayloadTooLargeError, ValidationFailedError } from '@agents/core';

/**
 * Wraps FileInterceptor (declared after it): multer's limit errors become the API's errors, naming
 * the field and the limit — a file over FILE_MAX_BYTES is a 413 naming `file`, a malformed
 * multipart body a 400.
 */
@Injectable()
export class UploadErrorsInterceptor implements NestInterceptor {
  constructor(private readonly config: AppConfig) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((err: unknown) => {
        if (err instanceof PayloadTooLargeException) {
          const max = this.config.files.maxBytes;
          throw new PayloadTooLargeError([
            { field: 'file', message: `the file is larger than the ${max} bytes limit (FILE_MAX_BYTES)` },
          ]);
        }
        if (err instanceof BadRequestException) {
          throw new ValidationFailedError([{ field: 'file', message: `malformed upload: ${err.message}` }]);
        }
        throw err;
      }),
    );
  }
}
