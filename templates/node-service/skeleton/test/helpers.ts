import type { AddressInfo } from 'node:net';
import { createApp, type App } from '../src/app.js';
import type { Settings } from '../src/config.js';

export function testSettings(overrides: Partial<Settings> = {}): Settings {
  return {
    serviceName: '${{ values.name }}',
    environment: 'test',
    version: 'test',
    logLevel: 'error',
    port: 0,
    latencyThresholdSeconds: ${{ values.latencyThresholdMs / 1000 }},
    databaseUrl: undefined,
    ...overrides,
  };
}

export async function start(overrides: Partial<Settings> = {}): Promise<{ app: App; url: string }> {
  const app = createApp(testSettings(overrides));
  await new Promise<void>(resolve => app.server.listen(0, '127.0.0.1', resolve));
  const { port } = app.server.address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}` };
}

export function metricValue(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return 0;
}
