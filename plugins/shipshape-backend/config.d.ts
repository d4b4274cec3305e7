import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  /** Shipshape backend configuration. */
  shipshape?: {
    /**
     * OFFLINE DEMO ONLY: the directory (relative to the backend's working directory) of the
     * git repositories that the scaffolder action shipshape:publish:local creates. When set,
     * GET /api/shipshape/local-repos/:repo/*path serves them read-only and UNAUTHENTICATED so
     * that the catalog can read them. Leave unset in production.
     */
    localPublish?: {
      directory?: string;
    };
    /** Unit prices for the ownership card's monthly cost estimate (requests x price x 730 h). */
    cost?: {
      /** USD per requested CPU core-hour; default 0.031611 (OpenCost's on-demand default). */
      cpuCoreHourUsd?: number;
      /** USD per requested GiB-hour of memory; default 0.004237. */
      memoryGibHourUsd?: number;
    };
    /** Where services run: each environment is a namespace of a cluster from kubernetes.clusterLocatorMethods. */
    environments?: Array<{
      name: string;
      /** A cluster name from kubernetes.clusterLocatorMethods (type config). */
      cluster: string;
      /** A fixed namespace every service of the environment shares (or namespacePerService). */
      namespace?: string;
      /**
       * One namespace per service, as the golden path's release workflow installs it
       * (`helm upgrade --install <id> -n <id>`): the entity's backstage.io/kubernetes-namespace,
       * else its backstage.io/kubernetes-id. Exactly one of namespace and namespacePerService.
       */
      namespacePerService?: boolean;
      /**
       * Only with namespacePerService: services (by backstage.io/kubernetes-id) that still share
       * a namespace in this environment, e.g. those placed before it moved to one namespace per
       * service. A service listed here runs in that namespace; the others in their own.
       */
      sharedNamespaces?: Array<{
        namespace: string;
        services: string[];
      }>;
      /**
       * Entity refs or owner group refs allowed to deploy, roll back or back up here
       * (e.g. group:default/payments-team); absent = every entity.
       */
      allow?: string[];
      /**
       * Deploys and rollbacks here also need the permission
       * shipshape.operation.deploy.protected (e.g. for production).
       */
      protected?: boolean;
      /**
       * A write (operator) token for this environment; defaults to the cluster's
       * shipshape.kubernetes.clusters[].operatorServiceAccountToken.
       * @visibility secret
       */
      operatorToken?: string;
      /** A file holding the write token (re-read on use). */
      operatorTokenFile?: string;
    }>;
    kubernetes?: {
      /**
       * Deadline of every request the backend makes to a cluster (planning, patching, readiness,
       * ownership, in-cluster backups; default 30): past it the request is aborted and the call or
       * the operation fails naming the request, and the operation frees its target.
       */
      requestTimeoutSeconds?: number;
      /**
       * Watch the Deployments and Argo Rollouts of every environment's namespaces (labelled
       * backstage.io/kubernetes-id) and signal the entities whose Rollout card shows one that
       * changed, whoever changed it (default true). Needs list and watch on them for the read
       * token; set false where the signals backend is not installed.
       */
      watchWorkloads?: boolean;
      /**
       * Answer the rollout status from the watches' cache (default true; only where
       * watchWorkloads is on): the labelled Deployments, Argo Rollouts, ReplicaSets and Pods of
       * the watched namespaces are held in memory and a status read makes no cluster request
       * for them while every watch of the namespace is synced (else it reads the cluster).
       */
      statusFromWatches?: boolean;
      clusters?: Array<{
        name: string;
        /**
         * The write token for deploy/rollback, separate from the stock plugin's read token.
         * @visibility secret
         */
        operatorServiceAccountToken?: string;
        operatorServiceAccountTokenFile?: string;
      }>;
    };
    rollout?: {
      /** New pods in error or un-Ready this long stall a rollout (default 120). */
      stallAfterSeconds?: number;
      /** Longest a rollout is followed (default 900). */
      timeoutSeconds?: number;
      /** Per-cluster timeout of the rollout status endpoint (default 5). */
      statusTimeoutSeconds?: number;
      /**
       * The helm v3 binary that deploys and rolls back releases Helm manages (a path, or a name
       * found on PATH; default `helm`). The backend image installs a pinned one.
       */
      helmBinary?: string;
    };
    /** Prometheus servers the SLO card reads; an entity may pick one by name, never by URL. */
    prometheus?: {
      instances?: Array<{
        name: string;
        url: string;
        /** Base URL for links shown to users (defaults to url). */
        publicUrl?: string;
        /**
         * Extra request headers, e.g. Authorization (every value is secret).
         * @deepVisibility secret
         */
        headers?: { [name: string]: string };
        /** Grafana with this instance as a data source: the SLO card links to Explore. */
        grafana?: { url: string; datasourceUid: string };
      }>;
      /** Instance used when the entity names none (default: the first). */
      defaultInstance?: string;
      /** Per-request timeout (default 5). */
      timeoutSeconds?: number;
      /** How long answers are cached (default 15). */
      cacheSeconds?: number;
      /** How long a last good answer is served, marked stale, when Prometheus fails (default 600). */
      staleForSeconds?: number;
    };
    /** SLO definitions. */
    slo?: {
      /** How long an slo-ref file read from a URL is kept before it is revalidated with its ETag (default 300). */
      fileCacheSeconds?: number;
      /** Deadline of one slo-ref fetch through the UrlReader, body included (default 10). */
      fileTimeoutSeconds?: number;
    };
    /** Alertmanager for silences shown with the SLO alerts. */
    alertmanager?: {
      url: string;
      publicUrl?: string;
      /** Extra request headers, e.g. Authorization (every value is secret). @deepVisibility secret */
      headers?: { [name: string]: string };
    };
    /** The operations engine (docs/operations.md): deploys, rollbacks, backups, restore drills. */
    operations?: {
      /** This replica's name on the operations it runs; stable across restarts (default: the host name), so a restarted replica takes its runs back at once. Unique per replica. */
      instanceName?: string;
      /** How often a replica marks its running operations alive (default 5). */
      heartbeatSeconds?: number;
      /** A running operation whose heartbeat is older than this is taken over by another replica (default 60: longer than a typical database failover, during which no heartbeat is written). A replica that lost its claim is fenced: its writes are refused and its run stopped. */
      staleAfterSeconds?: number;
    };
    /** Backstage notifications to an entity's owner when its operations fail (docs/operations.md). */
    notifications?: {
      /** Notify owners of failed deploys, automatic rollbacks, failed backups and drills, and of the recovery (default true; needs the notifications backend). */
      enabled?: boolean;
    };
    /** DR readiness grades (docs/backup.md#dr-readiness). */
    readiness?: {
      /**
       * How often every entity with a backup target or a kubernetes-id is graded in production
       * and its grade recorded when it changed (reads of the DR card record nothing): a
       * coreServices.scheduler task, default `{ frequency: { minutes: 15 }, timeout: { minutes: 10 },
       * initialDelay: { minutes: 1 } }`. Grades are also recorded after each backup and drill.
       */
      gradeSchedule?: SchedulerServiceTaskScheduleDefinitionConfig;
    };
    /** Backups and restore drills (docs/backup.md); entities name a target in shipshape.dev/backup-target. */
    backup?: {
      /** Folder holding pg_dump and pg_restore (default: found on PATH). */
      binDir?: string;
      /** Longest an in-cluster backup Job (method in-cluster) is followed (default 60). */
      inClusterTimeoutMinutes?: number;
      /**
       * The backups the service charts' CronJobs write (cronjob/<target>/<environment>/ in each
       * target's storage, docs/backup.md#backups-the-cronjob-makes): how often the portal looks
       * for new ones and verifies them, a coreServices.scheduler task (one replica runs each
       * pass), default `{ frequency: { minutes: 5 }, timeout: { minutes: 30 }, initialDelay:
       * { minutes: 1 } }`.
       */
      discovery?: {
        schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      };
      /**
       * Deadlines: a run past one fails at its step, naming the key, and frees its target.
       * lockWaitSeconds: pg_dump's wait for a table lock (default 60); statementSeconds: one SQL
       * statement, e.g. a row count or the drill's CREATE DATABASE (default 1800); dumpMinutes: a
       * whole pg_dump (default 120); restoreMinutes: a whole pg_restore in a drill (default 120).
       */
      timeouts?: {
        lockWaitSeconds?: number;
        statementSeconds?: number;
        dumpMinutes?: number;
        restoreMinutes?: number;
      };
      /** Default storage of every target. */
      storage?: ShipshapeBackupStorage;
      /** Default retention of every target (docs/backup.md#retention). */
      retention?: ShipshapeBackupRetention;
      drill?: {
        /** Restore drills restore into a temporary database made with this connection: a role with CREATEDB and nothing more (a superuser is refused at start). */
        connection: ShipshapeBackupConnection;
        /** How often drill databases left by a crash are dropped (default 60; also at start). */
        sweepMinutes?: number;
        /**
         * How often the portal looks for due restore drills (docs/backup.md#scheduled-restore-drills):
         * a coreServices.scheduler task, default `{ frequency: { hours: 1 }, timeout: { hours: 2 },
         * initialDelay: { minutes: 5 } }`.
         */
        schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      };
      targets?: Array<{
        /** The name entities use in shipshape.dev/backup-target. */
        name: string;
        connection: ShipshapeBackupConnection;
        storage?: ShipshapeBackupStorage;
        /** A second location (another bucket or region) each verified backup is copied to and re-verified in. */
        copyTo?: ShipshapeBackupStorage;
        retention?: ShipshapeBackupRetention;
        /** The entities (refs, e.g. component:default/payments-api) that may back up, drill and read this target; none when absent. The backup-target annotation alone is only a claim. */
        allowedEntities?: string[];
      }>;
    };
  };
}

/** Which verified backups a target keeps: the union of all tiers; never the newest one deleted. */
interface ShipshapeBackupRetention {
  /** The newest N (default 7). */
  keepLast?: number;
  /** The newest of each of the last N days with a backup (UTC; default 7). */
  keepDaily?: number;
  /** The newest of each of the last N ISO weeks with a backup (default 4). */
  keepWeekly?: number;
  /** The newest of each of the last N months with a backup (default 0). */
  keepMonthly?: number;
  /** Every backup younger than this many hours (default 24): a burst of backups cannot push history out. */
  minAgeHours?: number;
  /** Nothing older than this many days, except the newest (default 30). */
  maxAgeDays?: number;
}

/** A PostgreSQL login; the password only through an environment variable or a file. */
interface ShipshapeBackupConnection {
  host: string;
  port?: number;
  user: string;
  database?: string;
  /** Name of the environment variable holding the password. */
  passwordEnv?: string;
  /** File holding the password. */
  passwordFile?: string;
}

type ShipshapeBackupStorage =
  | { type: 'local'; directory: string }
  | {
      type: 's3';
      bucket: string;
      region?: string;
      endpoint?: string;
      forcePathStyle?: boolean;
      /** Prepended to every key. */
      prefix?: string;
      /** Environment variable names holding the credentials (default: the AWS SDK chain). */
      accessKeyIdEnv?: string;
      secretAccessKeyEnv?: string;
      /** @visibility secret */
      accessKeyId?: string;
      /** @visibility secret */
      secretAccessKey?: string;
      /** e.g. AES256 or aws:kms. */
      serverSideEncryption?: string;
      /** A request to the store that sends or receives nothing for this long fails (default 60). */
      requestTimeoutSeconds?: number;
    };
