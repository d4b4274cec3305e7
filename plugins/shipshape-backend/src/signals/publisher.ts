import { LoggerService } from '@backstage/backend-plugin-api';
import { SignalsService } from '@backstage/plugin-signals-node';
import {
  ShipshapeSignal,
  shipshapeEntityChannel,
} from '@shipshape/plugin-shipshape-common';
import { BACKUP_KIND, DRILL_KIND } from '../backup/service';
import { BackupStore } from '../backup/store';
import { ChangeNotifier } from '../operations/changes';
import { OperationStore } from '../operations/store';

const ROLLOUT_KINDS = ['deploy', 'rollback'];

/**
 * Pushes the news the stores announce in this process (an operation submitted, a log line or
 * step, its end; a backup's or drill's step and outcome; a new grade) to the entity's signal
 * channel, so open cards re-read at once instead of at their next poll. Another replica's
 * browsers get it through the events service (docs/cards.md, "Live updates").
 *
 * The message says only what changed (kind, operation id, status, step): no host, path or
 * error text, as anyone signed in may subscribe. News of one record within `coalesceMs` is
 * sent once (a deploy logs a line per pod event). Never fails the write that had news.
 */
export class SignalPublisher {
  private readonly pending = new Set<string>();

  private constructor(
    private readonly deps: {
      signals: SignalsService;
      logger: LoggerService;
      operations: OperationStore;
      backups: BackupStore;
      /** News of a new grade, by entity ref. */
      grades: ChangeNotifier;
      coalesceMs?: number;
    },
  ) {}

  /** Starts listening to the stores' news. */
  static create(deps: SignalPublisher['deps']): SignalPublisher {
    const publisher = new SignalPublisher(deps);
    // A backup's and a drill's id are their operation's: both news coalesce into one read.
    deps.operations.changes.onNotify(id => publisher.changed(id));
    deps.backups.changes.onNotify(id => publisher.changed(id));
    deps.grades.onNotify(ref => publisher.changed(ref, { kind: 'grade' }));
    return publisher;
  }

  /**
   * A workload the entity's Rollout card shows changed in its cluster (seen by a watch:
   * `WorkloadSignals`): a `rollout` signal without an operation, coalesced like the rest.
   */
  workloadChanged(entityRef: string): void {
    this.changed(entityRef, { kind: 'rollout' });
  }

  private changed(id: string, known?: ShipshapeSignal): void {
    const key = known ? `${known.kind}:${id}` : id;
    if (this.pending.has(key)) return;
    this.pending.add(key);
    setTimeout(async () => {
      this.pending.delete(key); // news during the read below schedules another signal
      try {
        const signal = known
          ? { entityRef: id, message: known }
          : await this.operationSignal(id);
        if (signal) await this.publish(signal.entityRef, signal.message);
      } catch (e) {
        this.deps.logger.warn(`signal for ${key} not sent: ${e}`);
      }
    }, this.deps.coalesceMs ?? 250).unref?.();
  }

  private async operationSignal(
    id: string,
  ): Promise<{ entityRef: string; message: ShipshapeSignal } | undefined> {
    const op = await this.deps.operations.get(id);
    if (!op) return undefined;
    const message: ShipshapeSignal = {
      kind: 'operation',
      id,
      status: op.status,
    };
    if (ROLLOUT_KINDS.includes(op.kind)) {
      message.kind = 'rollout';
      const phase = (op.result as { phase?: unknown } | undefined)?.phase;
      if (typeof phase === 'string') message.step = phase;
    } else if (op.kind === BACKUP_KIND || op.kind === DRILL_KIND) {
      const drill = op.kind === DRILL_KIND;
      message.kind = drill ? 'drill' : 'backup';
      const record = await (drill
        ? this.deps.backups.getDrill(id)
        : this.deps.backups.get(id)
      ).catch(() => undefined); // not written yet, or failed before it was
      if (record?.step) message.step = record.step;
    }
    return { entityRef: op.entityRef, message };
  }

  private async publish(entityRef: string, message: ShipshapeSignal) {
    await this.deps.signals.publish<ShipshapeSignal>({
      recipients: { type: 'broadcast' },
      channel: shipshapeEntityChannel(entityRef),
      message,
    });
  }
}
