/** Settings from the environment (12-factor). No secrets have defaults. */
export interface Settings {
  serviceName: string;
  environment: string;
  version: string;
  logLevel: string;
  port: number;
  latencyThresholdSeconds: number;
  databaseUrl: string | undefined;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): Settings {
  return {
    serviceName: env.SERVICE_NAME ?? '${{ values.name }}',
    environment: env.APP_ENV ?? 'development',
    version: env.APP_VERSION ?? 'dev',
    logLevel: env.LOG_LEVEL ?? 'info',
    port: Number(env.PORT ?? '${{ values.port }}'),
    latencyThresholdSeconds: Number(env.SLO_LATENCY_THRESHOLD_SECONDS ?? '${{ values.latencyThresholdMs / 1000 }}'),
    databaseUrl: env.DATABASE_URL || undefined,
  };
}
