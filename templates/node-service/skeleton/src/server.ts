/** Process entry point: listen, and shut down gracefully on SIGTERM/SIGINT. */
import { createApp } from './app.js';
import { settingsFromEnv } from './config.js';

const settings = settingsFromEnv();
const app = createApp(settings);

app.server.listen(settings.port, '0.0.0.0', () => {
  app.log.info('started', { port: settings.port, version: settings.version, environment: settings.environment });
});

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    app.log.info('stopping', { signal });
    // Kubernetes has already removed the pod from the endpoints (preStop sleep); finish
    // in-flight requests, then exit. Hard stop after 20 s.
    setTimeout(() => process.exit(1), 20_000).unref();
    app.close().then(
      () => process.exit(0),
      error => {
        app.log.error('shutdown failed', { error });
        process.exit(1);
      },
    );
  });
}
