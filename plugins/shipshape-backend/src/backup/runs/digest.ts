import { createHash } from 'crypto';
import { Readable, Transform } from 'stream';

/** Counts bytes and computes SHA-256 of what flows through. */
export class Digest extends Transform {
  private readonly hash = createHash('sha256');
  /**
   * Bytes seen so far. Not called `size`: lib-storage's Upload reads `Body.size` as the
   * total length, and a 0 there made it expect 0 parts of a multipart upload.
   */
  bytes = 0;
  _transform(chunk: Buffer, _enc: BufferEncoding, cb: () => void) {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.push(chunk);
    cb();
  }
  /** Hex digest; call once, after the stream ended. */
  hex() {
    return this.hash.digest('hex');
  }
}

/** Hashes a readable without passing it on (for verification reads). */
export function digestOf(input: Readable) {
  const hash = createHash('sha256');
  let size = 0;
  input.on('data', (c: Buffer) => {
    hash.update(c);
    size += c.length;
  });
  return () => ({ size, sha256: hash.digest('hex') });
}
