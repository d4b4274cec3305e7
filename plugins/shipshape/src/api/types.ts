import { ShipshapeOpenApi } from '@shipshape/plugin-shipshape-common';

// The backup and DR answers as the cards use them: the models generated from the backend's
// openapi.yaml (one home for the API's types), narrowed where the cards rely on more.

/**
 * A restore drill record (GET /entities/.../restore-drills/:id; listed with its backup).
 *
 * @public
 */
export type DrillItem = ShipshapeOpenApi.RestoreDrill;

/**
 * A backup record as GET /entities/.../backups lists it, with its drills (docs/backup.md).
 *
 * @public
 */
export type BackupItem = Omit<ShipshapeOpenApi.Backup, 'drills'> & {
  drills: DrillItem[];
};

/**
 * GET /entities/.../backups: the entity's backup target and its backups, newest first.
 *
 * @public
 */
export type BackupHistory = Omit<ShipshapeOpenApi.BackupHistory, 'items'> & {
  items: BackupItem[];
};

/**
 * GET /entities/.../dr-readiness: the grade, its checks, what changed since the last grade.
 *
 * @public
 */
export type DrReadinessReport = ShipshapeOpenApi.DrReadinessReport;

/**
 * GET /dr/overview: the services the caller may read with their grade, backups and drills.
 *
 * @public
 */
export type DrOverview = ShipshapeOpenApi.DrOverview;

/**
 * One service of GET /dr/overview: grade, newest verified backup against the RPO, last drill
 * against the RTO, owner, tier, system and the path of its page.
 *
 * @public
 */
export type DrOverviewRow = ShipshapeOpenApi.DrOverviewRow;

/**
 * GET /dr/overview's filters, sort and page.
 *
 * @public
 */
export type DrOverviewQuery = ShipshapeOpenApi.GetDrOverview['query'];

/**
 * GET /entities/.../deploy-history: per environment, every Helm revision of the entity's release
 * (newest first), with the portal operation of those it started.
 *
 * @public
 */
export type DeployHistory = ShipshapeOpenApi.DeployHistory;

/**
 * GET /operations/:id/log: an operation's log lines.
 *
 * @public
 */
export type OperationLogPage = ShipshapeOpenApi.GetOperationLog200Response;

/**
 * GET /entities/.../operations: one page of the entity's operations of every kind (deploy,
 * rollback, pause, promote, backup, restore-drill), newest first, and how many it has.
 *
 * @public
 */
export type OperationsPage = ShipshapeOpenApi.ListEntityOperations200Response;

/**
 * GET /entities/.../slos/charts: per SLO the error budget left over its window and the burn
 * rate of each alert window with its threshold (null values are gaps in the data).
 *
 * @public
 */
export type SloChartsResponse = ShipshapeOpenApi.SloCharts;
