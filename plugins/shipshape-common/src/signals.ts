/**
 * What the backend pushes to open entity pages (Backstage signals): one channel per entity,
 * and a message that only says what changed. A card re-reads through the permission-checked
 * API when one arrives, so a message carries no host, path, secret or error text: anyone
 * signed in may subscribe to any channel.
 */

/**
 * What changed: an operation's record, a backup, a drill, a grade, or a deploy/rollback.
 *
 * @public
 */
export type ShipshapeSignalKind =
  | 'operation'
  | 'backup'
  | 'drill'
  | 'grade'
  | 'rollout';

/**
 * One signal on an entity's channel.
 *
 * @public
 */
export type ShipshapeSignal = {
  kind: ShipshapeSignalKind;
  /** The operation's id (a backup's and a drill's id are their operation's). */
  id?: string;
  /** The operation's status (queued, running, succeeded, failed, ...). */
  status?: string;
  /** The step or phase a running operation has reached (e.g. upload, rolling-out). */
  step?: string;
};

/**
 * The signal channel of one entity: `shipshape:entity:<entity ref in lower case>`.
 *
 * @public
 */
export function shipshapeEntityChannel(entityRef: string): string {
  return `shipshape:entity:${entityRef.toLocaleLowerCase('en-US')}`;
}
