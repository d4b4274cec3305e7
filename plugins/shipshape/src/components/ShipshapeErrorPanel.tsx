import { configApiRef, useApi, useRouteRef } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import { Alert, Link, Text } from '@backstage/ui';
import { shipshapeConfigurationHelpFor } from '@shipshape/plugin-shipshape-common';
import { configurationRouteRef, legacyConfigurationRouteRef } from '../routes';

/** A server's message may be one long word (a URL, a key): it wraps inside the card. */
const WRAP = { overflowWrap: 'anywhere' } as const;

/** The config key a message names (`shipshape.prometheus.instances`), if any. */
export function configKeyOf(message: string): string | undefined {
  // not an annotation (shipshape.dev/tier): a key is not followed by a slash
  return /\bshipshape(?:\.[A-Za-z]+(?:\[[^\]]*\])?)+(?![\w/])/.exec(
    message,
  )?.[0];
}

/**
 * What a 404 without a Backstage error body means: no backend plugin answers /api/shipshape
 * (the root router's not-found answer is empty; the Shipshape backend answers JSON).
 */
const BACKEND_NOT_INSTALLED =
  "The Shipshape backend is not installed in this portal: add @shipshape/plugin-shipshape-backend to its backend (backend.add(import('@shipshape/plugin-shipshape-backend')) in packages/backend/src/index.ts)";

/** The server's own message (never "Request failed with 400 Bad Request"). */
export function errorMessageOf(error: Error): string {
  if (error instanceof ResponseError || error.name === 'ResponseError') {
    const { body, statusCode, response } = error as ResponseError;
    const json = response?.headers?.get('content-type')?.includes('json');
    if (statusCode === 404 && !json) return BACKEND_NOT_INSTALLED;
    if (body?.error?.message) return body.error.message;
  }
  return error.message;
}

/** The docs page a key without a listed part is explained on. */
const FALLBACK_DOCS_PAGE = 'operations.md#configuration';

/** A page of the docs folder at `shipshape.docsUrl` (`slo.md#backend`). */
export function docsPageUrl(docsUrl: string, page: string): string {
  return `${docsUrl.replace(/\/$/, '')}/${page}`;
}

/** A route's URL where it is mounted, in either frontend system; else undefined. */
function useMountedRoute(routeRef: unknown): string | undefined {
  try {
    // as useEntityTabLink (links.ts): all its hooks run before it throws on an unmounted route
    return useRouteRef(routeRef as Parameters<typeof useRouteRef>[0])?.();
  } catch {
    return undefined;
  }
}

/** The configuration help page's URL where the app mounts it (either frontend system). */
export function useConfigurationPageLink(): string | undefined {
  const current = useMountedRoute(configurationRouteRef);
  const legacy = useMountedRoute(legacyConfigurationRouteRef);
  return current ?? legacy;
}

/**
 * Where a config key is explained: `shipshape.docsUrl` + its docs page when the portal sets
 * docsUrl; else the configuration help page at the key's entry (`#shipshape.backup.targets`)
 * where the app mounts it; else no link, only the page's name in the docs.
 */
export function useDocsLink(key: string): { href?: string; page: string } {
  const base = useApi(configApiRef).getOptionalString('shipshape.docsUrl');
  const helpPage = useConfigurationPageLink();
  const help = shipshapeConfigurationHelpFor(key);
  const page = help?.docsPage ?? FALLBACK_DOCS_PAGE;
  let href: string | undefined;
  if (base) href = docsPageUrl(base, page);
  else if (helpPage) {
    href = help ? `${helpPage}#${encodeURIComponent(help.key)}` : helpPage;
  }
  return { href, page: `docs/${page.split('#')[0]}` };
}

/** "Not configured: key", what to do, and a link to the page that documents the key. */
export function ConfigHint(props: { configKey: string; message?: string }) {
  const { href, page } = useDocsLink(props.configKey);
  const external = href !== undefined && /^[a-z]+:/i.test(href);
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
                {external
                  ? `How to configure it (${page})`
                  : 'How to configure it (example on the Shipshape configuration page)'}
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
