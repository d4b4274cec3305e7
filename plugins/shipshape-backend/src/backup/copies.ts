import { createHash } from 'crypto';
import { Knex } from 'knex';
import { Readable } from 'stream';
import { BackupStorage } from './storage';
import { BackupRecord, isVerified } from './store';
import { isoOf, numberOf } from '../rows';

const TABLE = 'shipshape_backup_copies';

export type CopyStep = 'read' | 'upload' | 'verify' | 'commit';

export interface CopyRecord {
  backupId: string;
  target: string;
  location: string;
  status: 'verified' | 'failed' | 'deleted';
  sizeBytes?: number;
  sha256?: string;
  failedStep?: CopyStep;
  error?: string;
  startedAt: string;
  verifiedAt?: string;
}

/** Size and SHA-256 of a stream, read to its end. */
async function measure(input: Readable) {
  const hash = createHash('sha256');
  let size = 0;
  for await (const c of input) {
    hash.update(c as Buffer);
    size += (c as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}

function messageOf(e: unknown) {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Copies the committed object `key` from `from` to `to` (streamed to `<key>.partial`,
 * re-read there: size and SHA-256 must equal the backup's, then committed) and records the
 * copy. Never throws: a failed copy is recorded with its step and error (the primary
 * backup stays verified).
 */
export async function copyBackup(
  knex: Knex,
  req: {
    backupId: string;
    target: string;
    key: string;
    sizeBytes: number;
    sha256: string;
    from: BackupStorage;
    to: BackupStorage;
    /**
     * The copy is already there (the chart's CronJob wrote it): it is only re-read, checked and
     * recorded; nothing is written or, when it differs, deleted.
     */
    existing?: boolean;
  },
): Promise<CopyRecord> {
  const startedAt = new Date();
  const location = req.to.describe(req.key);
  let step: CopyStep = req.existing ? 'verify' : 'read';
  let record: CopyRecord;
  try {
    if (!req.existing) {
      const input = await req.from.read(req.key);
      step = 'upload';
      await req.to.writePartial(req.key, input);
      step = 'verify';
    }
    const got = await measure(await req.to.read(req.key, !req.existing));
    if (got.size !== req.sizeBytes || got.sha256 !== req.sha256) {
      throw new Error(
        `the copy differs from the backup: ${got.size} bytes sha256 ${got.sha256}, expected ${req.sizeBytes} bytes sha256 ${req.sha256}`,
      );
    }
    step = 'commit';
    if (!req.existing) await req.to.commit(req.key);
    record = {
      backupId: req.backupId,
      target: req.target,
      location,
      status: 'verified',
      sizeBytes: got.size,
      sha256: got.sha256,
      startedAt: startedAt.toISOString(),
      verifiedAt: new Date().toISOString(),
    };
  } catch (e) {
    let error = `copy to ${location} failed at ${step}: ${messageOf(e)}`;
    if (!req.existing) {
      await req.to.discard(req.key).catch(d => {
        error += `; removing the partial copy also failed: ${messageOf(d)}`;
      });
    }
    record = {
      backupId: req.backupId,
      target: req.target,
      location,
      status: 'failed',
      failedStep: step,
      error,
      startedAt: startedAt.toISOString(),
    };
  }
  await knex(TABLE).insert({
    backup_id: record.backupId,
    target: record.target,
    location: record.location,
    status: record.status,
    size_bytes: record.sizeBytes ?? null,
    sha256: record.sha256 ?? null,
    failed_step: record.failedStep ?? null,
    error: record.error ?? null,
    started_at: startedAt,
    verified_at: record.verifiedAt ? new Date(record.verifiedAt) : null,
  });
  return record;
}

function rowToCopy(r: any): CopyRecord {
  return {
    backupId: r.backup_id,
    target: r.target,
    location: r.location,
    status: r.status,
    sizeBytes: numberOf(r.size_bytes),
    sha256: r.sha256 ?? undefined,
    failedStep: r.failed_step ?? undefined,
    error: r.error ?? undefined,
    startedAt: isoOf(r.started_at)!,
    verifiedAt: isoOf(r.verified_at),
  };
}

/** The copies of a backup, newest first. */
export async function copiesOf(
  knex: Knex,
  backupId: string,
): Promise<CopyRecord[]> {
  const rows = await knex(TABLE)
    .where({ backup_id: backupId })
    .orderBy('id', 'desc');
  return rows.map(rowToCopy);
}

/**
 * The verified copy (copyTo) of the newest verified backup in `backups` (newest first, as
 * BackupStore.list returns them); undefined when it has none (DR readiness's second copy).
 */
export async function newestVerifiedCopy(
  knex: Knex,
  backups: BackupRecord[],
): Promise<CopyRecord | undefined> {
  const latest = backups.find(isVerified);
  if (!latest) return undefined;
  return (await copiesOf(knex, latest.id)).find(c => c.status === 'verified');
}

/** Deletes a backup's copies from the second storage and marks them deleted (retention). */
export async function deleteCopies(
  knex: Knex,
  backupId: string,
  key: string,
  to: BackupStorage,
): Promise<void> {
  const live = await knex(TABLE)
    .where({ backup_id: backupId })
    .whereNot({ status: 'deleted' });
  if (!live.length) return;
  await to.discard(key);
  await knex(TABLE)
    .where({ backup_id: backupId })
    .update({ status: 'deleted' });
}
