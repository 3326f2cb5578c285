import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { FileSettings } from '@agents/core';
import type { FileEntity } from './file.entity';
import { FileStorage, storageKeyOf } from './file-storage';

/**
 * Bytes in an S3 bucket (or an S3-compatible server: MinIO, R2, …) under `files/<userId>/<fileId>`.
 * Not transactional: FilesService puts the object before inserting the row and deletes it again
 * when the row fails.
 */
export class S3FileStorage extends FileStorage {
  readonly kind = 's3';
  readonly transactional = false;
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(settings: FileSettings['s3']) {
    super();
    if (!settings.bucket) throw new Error('FILE_STORAGE=s3 needs S3_BUCKET');
    this.bucket = settings.bucket;
    this.client = new S3Client({
      region: settings.region,
      endpoint: settings.endpoint,
      forcePathStyle: settings.forcePathStyle,
      credentials:
        settings.accessKeyId && settings.secretAccessKey
          ? { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey }
          : undefined,
    });
  }

  private key(file: FileEntity): string {
    return file.storageKey ?? storageKeyOf(file);
  }

  async put(file: FileEntity, data: Buffer): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.key(file),
        Body: data,
        ContentType: file.mimeType,
        ContentLength: data.length,
      }),
    );
  }

  async get(file: FileEntity): Promise<Buffer> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(file) }));
    if (!out.Body) throw new Error(`The object of file ${file.id} has no body`);
    return Buffer.from(await out.Body.transformToByteArray());
  }

  async delete(file: FileEntity): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(file) }));
  }

  /** Closes the client's sockets. */
  destroy(): void {
    this.client.destroy();
  }
}
