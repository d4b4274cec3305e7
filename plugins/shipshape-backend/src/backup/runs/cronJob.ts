import {
  CRONJOB_BACKUP_LAYOUT,
  CronJobBackupKey,
  CronJobBackupManifest,
  CronJobBackupMarker,
  parseCronJobBackupManifest,
} from '@shipshape/plugin-shipshape-common';
import { Readable } from 'stream';
import { ConflictError } from '@backstage/errors';
import { BackupTarget, assertEntityMayUse } from '../config';
import { BackupStorage } from '../storage';
import { BackupRecord, BackupStep } from '../store';
import { OperationContext } from '../../operations/engine';
import {
  BackupRequest,
  RunContext,
  StepError,
  holdsClaim,
  messageOf,
} from './context';
import { verifyStoredDump } from './verifyDump';

/**
 * Writes `<dumpKey>.verified` (shipshape-common backupLayout.ts): the chart's retention never
 * deletes the newest dump that has one. Written again by a repeated verification.
 */
async function markVerified(
  storage: BackupStorage,
  dumpKey: string,
  marker: CronJobBackupMarker,
) {
  const key = dumpKey + CRONJOB_BACKUP_LAYOUT.verifiedSuffix;
  await storage.writePartial(key, Readable.from([JSON.stringify(marker)]));
  await storage.commit(key);
}

/** What the operation input of a CronJob backup's verification holds. */
interface CronJobInput {
  environment: string;
  manifestKey: string;
  /** When the store received the manifest (its clock, from the listing). */
  storedAt: string;
}

/**
 * Whether a recorded verification of a CronJob backup is tried again: it failed because the
 * store could not be read (`fetch`) or its replica stopped (`abandoned`), not the backup.
 */
export function retried(rec: BackupRecord): boolean {
  return (
    rec.status === 'failed' &&
    (rec.failedStep === 'fetch' || rec.failedStep === 'abandoned')
  );
}

/** A manifest bigger than this is refused unread (a real one is a few KB). */
const MANIFEST_MAX_BYTES = 1024 * 1024;
/** How far a key's time may be ahead of the store's clock (clock skew). */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Backups the service chart's CronJob wrote to the target's storage (the layout of
 * shipshape-common's backupLayout.ts), found by the discovery pass (cronJobDiscovery.ts) and
 * verified here the way the portal verifies its own dumps (verifyDump.ts), against the
 * manifest the CronJob wrote beside the dump: re-read, size and SHA-256, `pg_restore --list`,
 * the database it was dumped from, and every table's row count. Only then is the record
 * `verified`: it counts for the RPO, can be drilled, and gets its second copy checked (or made).
 * A verification only reads, so a run handed to another replica simply runs again.
 */
export class CronJobBackups {
  constructor(private readonly run: RunContext) {}

  /** Submits the verification of a found backup, one backup run per target like any other. */
  async start(
    req: BackupRequest & { found: CronJobBackupKey; storedAt: Date },
  ): Promise<{ record: BackupRecord; done: Promise<BackupRecord> }> {
    assertEntityMayUse(req.target, req.entityRef);
    const storage = this.run.storageOf(req.target);
    const input: CronJobInput = {
      environment: req.found.environment,
      manifestKey: req.found.manifestKey,
      storedAt: req.storedAt.toISOString(),
    };
    return this.run.submitBackup(
      req,
      { method: 'cronjob', ...input },
      () => ({
        method: 'cronjob',
        storageType: storage.type,
        storageKey: req.found.dumpKey,
        location: `CronJob in ${req.found.environment}`,
        step: 'manifest',
        startedAt: req.found.at.toISOString(),
      }),
      // checked again while the target is held: two passes racing verify an object once
      async () => {
        const [last] = await this.run.store.byStorageKey(
          req.target.name,
          req.found.dumpKey,
        );
        if (last && !retried(last)) {
          throw new ConflictError(
            `${req.found.dumpKey} is already recorded as backup ${last.id} (${last.status})`,
          );
        }
      },
    );
  }

  async execute(ctx: OperationContext, rec: BackupRecord) {
    const input = ctx.operation.input as CronJobInput;
    const target = this.run.target(rec.target);
    const storage = this.run.storageOf(target);
    const started = Date.now();
    let step: BackupStep = 'manifest';
    try {
      await this.run.say(
        ctx,
        `Verifying the CronJob's backup ${storage.describe(
          rec.storageKey,
        )} (environment ${input.environment}) against its manifest`,
      );
      const m = await this.readManifest(storage, target, rec, input);
      step = 'verify';
      await this.run.setStep(ctx, step);
      await verifyStoredDump({
        storage,
        key: rec.storageKey,
        binDir: this.run.config.binDir,
        signal: ctx.signal,
        expected: {
          size: m.sizeBytes,
          sha256: m.sha256,
          tables: m.tables,
          strict: {
            database: target.connection.database,
            serverVersion: m.serverVersion,
          },
        },
      });
      // Fenced: a runner that lost its claim records nothing.
      await holdsClaim(ctx);
      // Marked before it is recorded: the chart's retention keeps the newest marked dump, so
      // a verified record's dump is never the one a run of bad dumps pushes out. A store that
      // cannot take it fails the run at `fetch`, so the next pass tries again.
      const marker: CronJobBackupMarker = {
        backupId: rec.id,
        verifiedAt: new Date().toISOString(),
        sha256: m.sha256,
      };
      await markVerified(storage, rec.storageKey, marker).catch(e => {
        throw new StepError(
          'fetch',
          `marking ${storage.describe(
            rec.storageKey,
          )} verified failed: ${messageOf(e)}`,
        );
      });
      await ctx.fenced(tx =>
        this.run.store.finish(
          rec.id,
          {
            end: 'verified',
            sizeBytes: m.sizeBytes,
            sha256: m.sha256,
            tables: m.tables,
            durationMs: Date.now() - started,
          },
          tx,
        ),
      );
      const rows = m.tables.reduce((n, t) => n + t.rows, 0);
      await this.run.say(
        ctx,
        `Verified: ${m.sizeBytes} bytes, sha256 ${m.sha256}, database ${m.database} (server ${m.serverVersion}), ${m.tables.length} tables and ${rows} rows as the manifest says; dumped ${m.startedAt} to ${m.finishedAt}`,
      );
      const copyTo = this.run.copyStorageOf(target);
      const existing = await copyTo?.exists(rec.storageKey).catch(() => false);
      const copied = await this.run.copyBackup(
        ctx,
        target,
        storage,
        {
          id: rec.id,
          key: rec.storageKey,
          size: m.sizeBytes,
          sha256: m.sha256,
        },
        existing,
      );
      if (copyTo && copied) {
        await markVerified(copyTo, rec.storageKey, marker).catch(e =>
          this.run.say(
            ctx,
            `Marking the second copy verified failed (its bucket's retention may delete it): ${messageOf(
              e,
            )}`,
            'warn',
          ),
        );
      }
    } catch (e) {
      const error = this.run.errorOf(ctx, e);
      if (error === undefined) return;
      await this.run.fail(ctx, {
        of: 'backup',
        failedStep: e instanceof StepError ? e.step : step,
        error,
        durationMs: Date.now() - started,
      });
    }
  }

  /**
   * Reads the manifest and checks what it claims against what the portal knows: the target,
   * environment and database it names, and its start time against the key's and the store's.
   */
  private async readManifest(
    storage: BackupStorage,
    target: BackupTarget,
    rec: BackupRecord,
    input: CronJobInput,
  ): Promise<CronJobBackupManifest> {
    const where = storage.describe(input.manifestKey);
    let text = '';
    try {
      const body = await storage.read(input.manifestKey);
      for await (const c of body) {
        text += (c as Buffer).toString('utf8');
        if (text.length > MANIFEST_MAX_BYTES) {
          body.destroy();
          throw new StepError(
            'manifest',
            `${where} is over ${MANIFEST_MAX_BYTES} bytes: not a manifest`,
          );
        }
      }
    } catch (e) {
      if (e instanceof StepError) throw e;
      throw new StepError('fetch', `reading ${where} failed: ${messageOf(e)}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new StepError('manifest', `${where} is not JSON: ${messageOf(e)}`);
    }
    const parsed = parseCronJobBackupManifest(json);
    if (!parsed.ok)
      throw new StepError('manifest', `${where}: ${parsed.error}`);
    const m = parsed.value;
    const wrong = (why: string) => new StepError('manifest', `${where} ${why}`);
    if (m.target !== target.name) {
      throw wrong(
        `names target ${m.target}, but is stored as ${target.name}'s`,
      );
    }
    if (m.environment !== input.environment) {
      throw wrong(
        `names environment ${m.environment}, but is stored under ${input.environment}`,
      );
    }
    if (m.database !== target.connection.database) {
      throw wrong(
        `names database ${m.database}; target ${target.name} backs up ${target.connection.database}`,
      );
    }
    if (Date.parse(m.startedAt) !== Date.parse(rec.startedAt)) {
      throw wrong(
        `says the dump started ${m.startedAt}; its key says ${rec.startedAt}`,
      );
    }
    if (Date.parse(m.finishedAt) > Date.parse(input.storedAt) + CLOCK_SKEW_MS) {
      throw wrong(
        `says the dump finished ${m.finishedAt}, after the store received the manifest (${input.storedAt})`,
      );
    }
    return m;
  }
}
