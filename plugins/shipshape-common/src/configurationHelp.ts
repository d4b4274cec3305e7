/**
 * One part of `shipshape.*` app-config that a card or page can find missing: what it is for,
 * a minimal example and the docs page that explains it in full.
 *
 * @public
 */
export interface ShipshapeConfigurationHelp {
  /** The key to set, e.g. `shipshape.backup.targets`; the anchor of its entry on the help page. */
  key: string;
  /** The keys it covers (`shipshape.backup` for `shipshape.backup.storage`, ...). */
  part: string;
  /** Which cards and pages need it, and what it holds. */
  description: string;
  /** A minimal app-config fragment that sets it (valid against the packages' config.d.ts). */
  example: string;
  /** The page of Shipshape's docs/ folder that documents it, with its section (`slo.md#backend`). */
  docsPage: string;
}

/**
 * Every part of `shipshape.*` a card or page can report as not configured (and the
 * `catalog.locations` entry of Shipshape's templates), in the order the configuration help page
 * lists them.
 *
 * @public
 */
export const SHIPSHAPE_CONFIGURATION_HELP: ReadonlyArray<ShipshapeConfigurationHelp> =
  [
    {
      key: 'shipshape.environments',
      part: 'shipshape.environments',
      description:
        'Where services run: each environment is a namespace of a cluster from kubernetes.clusterLocatorMethods. The Rollout card and tab, deploy and rollback, and the cost on the Ownership & Cost card and page need it.',
      example: `shipshape:
  environments:
    - name: production
      cluster: main # a cluster of kubernetes.clusterLocatorMethods (type config)
      namespacePerService: true # or namespace: production (one namespace for every service)
`,
      docsPage: 'operations.md#configuration',
    },
    {
      key: 'shipshape.kubernetes.clusters',
      part: 'shipshape.kubernetes',
      description:
        "Shipshape's write (operator) token per cluster, separate from the stock Kubernetes plugin's read token: deploy, rollback and in-cluster backups use it.",
      example: `shipshape:
  kubernetes:
    clusters:
      - name: main
        operatorServiceAccountTokenFile: /var/run/secrets/shipshape/operator-token
`,
      docsPage: 'operations.md#configuration',
    },
    {
      key: 'shipshape.prometheus.instances',
      part: 'shipshape.prometheus',
      description:
        'The Prometheus servers the SLO card, the SLO tab and the SLO burn page read; an entity may pick one by name, never by URL.',
      example: `shipshape:
  prometheus:
    instances:
      - name: main
        url: https://prometheus.example.com
`,
      docsPage: 'slo.md#backend',
    },
    {
      key: 'shipshape.alertmanager',
      part: 'shipshape.alertmanager',
      description:
        'The Alertmanager whose silences the SLO card shows beside its firing alerts.',
      example: `shipshape:
  alertmanager:
    url: https://alertmanager.example.com
`,
      docsPage: 'slo.md#backend',
    },
    {
      key: 'shipshape.backup.targets',
      part: 'shipshape.backup',
      description:
        'The databases an entity may name in its shipshape.dev/backup-target annotation, with their storage: the DR Readiness card, the DR tab, the DR overview, Back up now and restore drills need them. A password is named by an environment variable, never written here.',
      example: `shipshape:
  backup:
    storage: { type: s3, bucket: acme-shipshape-backups, region: eu-central-1 }
    targets:
      - name: orders-db
        allowedEntities: [component:default/orders-api]
        connection:
          host: orders-db.internal
          user: shipshape_backup
          database: orders
          passwordEnv: ORDERS_DB_PASSWORD # the variable holding the password
`,
      docsPage: 'backup.md#configuration-app-config-only',
    },
    {
      key: 'shipshape.cost',
      part: 'shipshape.cost',
      description:
        "Unit prices of the Ownership & Cost card's monthly estimate (requested resources × price × 730 h); OpenCost's on-demand defaults where unset.",
      example: `shipshape:
  cost:
    cpuCoreHourUsd: 0.031611
    memoryGibHourUsd: 0.004237
`,
      docsPage: 'ownership.md#cost-from-the-cluster',
    },
    {
      key: 'shipshape.policy',
      part: 'shipshape.policy',
      description:
        'The ownership and cost-tag policy the catalog checks and the Ownership & Cost card and page show: required tags and their rules, warned about or enforced.',
      example: `shipshape:
  policy:
    mode: warn
    tags:
      - name: shipshape.dev/cost-center
        pattern: '^CC-\\d{4}$'
        inheritFromSystem: true
`,
      docsPage: 'ownership.md#the-policy-shipshapepolicy-in-app-config',
    },
    {
      key: 'catalog.locations',
      part: 'catalog.locations',
      description:
        "The catalog location of Shipshape's software templates (the @shipshape/templates package, added to the backend), with a catalog.rules entry that lets its Template files in. The Rollout card's Deploy link opens the deploy template (template:default/shipshape-deploy-service); without it the card says the template is not registered.",
      example: `catalog:
  rules:
    - allow: [Template]
      locations:
        - type: file
          pattern: '**/node_modules/@shipshape/templates/**'
  locations:
    - type: file
      target: ../../node_modules/@shipshape/templates/templates.yaml
`,
      docsPage: 'cards.md#deploy-and-the-deploy-template',
    },
  ];

/**
 * The entity ref of the day-2 deploy template (templates/deploy-service) that the Rollout card's
 * Deploy link opens.
 *
 * @public
 */
export const SHIPSHAPE_DEPLOY_TEMPLATE_REF =
  'template:default/shipshape-deploy-service';

/**
 * The help entry of a config key a card names (`shipshape.environments[name=production]`,
 * `shipshape.backup.storage`, ...): the entry of the part it belongs to; undefined for a key
 * of no listed part.
 *
 * @public
 */
export function shipshapeConfigurationHelpFor(
  key: string,
): ShipshapeConfigurationHelp | undefined {
  const bare = key.replace(/\[[^\]]*\]/g, '');
  return SHIPSHAPE_CONFIGURATION_HELP.find(
    help => bare === help.part || bare.startsWith(`${help.part}.`),
  );
}
