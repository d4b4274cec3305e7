import { configApiRef, useApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import { Alert, Link, Text } from '@backstage/ui';

/** A server's message may be one long word (a URL, a key): it wraps inside the card. */
const WRAP = { overflowWrap: 'anywhere' } as const;

/** The docs page (and section) that explains each part of `shipshape.*`. */
const DOCS: Array<[prefix: string, page: string]> = [
  ['shipshape.prometheus', 'slo.md#backend'],
  ['shipshape.alertmanager', 'slo.md#backend'],
  ['shipshape.backup', 'backup.md#configuration-app-config-only'],
  ['shipshape.cost', 'ownership.md#cost-from-the-cluster'],
  ['shipshape.policy', 'ownership.md#the-policy-shipshapepolicy-in-app-config'],
  ['shipshape.', 'operations.md#configuration'],
];

/** The config key a message names (`shipshape.prometheus.instances`), if any. */
export function configKeyOf(message: string): string | undefined {
  // not an annotation (shipshape.dev/tier): a key is not followed by a slash
  return /\bshipshape(?:\.[A-Za-z]+(?:\[[^\]]*\])?)+(?![\w/])/.exec(
    message,
  )?.[0];
}

/** The server's own message (never "Request failed with 400 Bad Request"). */
export function errorMessageOf(error: Error): string {
  if (error instanceof ResponseError || error.name === 'ResponseError') {
    const body = (error as ResponseError).body;
    if (body?.error?.message) return body.error.message;
  }
  return error.message;
}

/** Where the docs page of a config key is: `shipshape.docsUrl` + page, or the repo path. */
export function useDocsLink(key: string): { href?: string; page: string } {
  const base = useApi(configApiRef).getOptionalString('shipshape.docsUrl');
  const page = DOCS.find(([prefix]) => key.startsWith(prefix))![1];
  return {
    href: base ? `${base.replace(/\/$/, '')}/${page}` : undefined,
    page: `docs/${page.split('#')[0]}`,
  };
}

/** "Not configured: key", what to do, and a link to the page that documents the key. */
export function ConfigHint(props: { configKey: string; message?: string }) {
  const { href, page } = useDocsLink(props.configKey);
  // Backstage UI's Alert in its info colours (text on background, 4.5:1 or more in both themes)
  return (
    <Alert
      role="alert"
      status="info"
      icon
      style={WRAP}
      title={
        <>
          Not configured: <code>{props.configKey}</code>
        </>
      }
      description={
        <>
          <Text as="p" variant="body-small" style={{ color: 'inherit' }}>
            {props.message ?? `Set ${props.configKey} in app-config.`}
          </Text>
          <Text as="p" variant="body-small" style={{ color: 'inherit' }}>
            {href ? (
              <Link
                href={href}
                variant="body-small"
                style={{ color: 'inherit' }}
              >
                How to configure it ({page})
              </Link>
            ) : (
              `How to configure it: ${page} in the Shipshape docs.`
            )}
          </Text>
        </>
      }
    />
  );
}

/**
 * How every Shipshape card and page shows a failed request: the server's message, readable
 * without hovering; when it names a `shipshape.*` key, as "not configured" with the key and a
 * link to its docs.
 */
export function ShipshapeErrorPanel(props: { error: Error; title?: string }) {
  const message = errorMessageOf(props.error);
  const key = configKeyOf(message);
  if (key) {
    return <ConfigHint configKey={key} message={message} />;
  }
  return (
    <Alert
      role="alert"
      status="danger"
      icon
      style={WRAP}
      title={props.title ?? 'Could not load'}
      description={message}
    />
  );
}
