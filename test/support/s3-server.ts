import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

/** s3rver ships no type declarations: loaded through require with the little of it we use. */
const S3rver = createRequire(__filename)('s3rver') as S3rverClass;

export interface TestS3 {
  settings: {
    bucket: string;
    region: string;
    endpoint: string;
    accessKeyId: string;
    secretAccessKey: string;
    forcePathStyle: boolean;
  };
  /** Where s3rver keeps its objects (bucket folders under it). */
  directory: string;
  close: () => Promise<void>;
}

/** An S3-compatible server (s3rver) on a free port with a temporary directory and one bucket. */
export async function startTestS3(bucket = 'agents-files'): Promise<TestS3> {
  const directory = mkdtempSync(join(tmpdir(), 'agents-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  return {
    settings: {
      bucket,
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
    },
    directory,
    close: async () => {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
