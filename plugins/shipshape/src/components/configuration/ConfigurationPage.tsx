import { configApiRef, useApi } from '@backstage/core-plugin-api';
import {
  Card,
  CardBody,
  CardHeader,
  Container,
  Flex,
  Link,
  Text,
} from '@backstage/ui';
import { SHIPSHAPE_CONFIGURATION_HELP } from '@shipshape/plugin-shipshape-common';
import { useEffect } from 'react';
import { useLocation } from 'react-router-dom';
import { docsPageUrl } from '../ShipshapeErrorPanel';

const CODE = {
  margin: 0,
  padding: 'var(--bui-space-3)',
  overflowX: 'auto',
  fontFamily: 'var(--bui-font-monospace)',
  fontSize: 'var(--bui-font-size-2)',
  color: 'var(--bui-fg-primary)',
  background: 'var(--bui-bg-neutral-2)',
  border: '1px solid var(--bui-border-1)',
  borderRadius: 'var(--bui-radius-2)',
} as const;

/** `backup.md#configuration-app-config-only` → docs/backup.md */
const docsFile = (page: string) => `docs/${page.split('#')[0]}`;

/**
 * Every part of `shipshape.*` a card can find missing: what it is for, a minimal app-config
 * example and its docs page; each entry's id is its key, so a card's "Not configured" hint
 * links to `#<key>`.
 */
export function ConfigurationPage() {
  const docsUrl = useApi(configApiRef).getOptionalString('shipshape.docsUrl');
  const { hash } = useLocation();
  // the page is loaded lazily and a router link does not scroll: bring the entry into view
  useEffect(() => {
    const entry =
      hash && document.getElementById(decodeURIComponent(hash.slice(1)));
    if (entry) {
      entry.scrollIntoView?.();
      entry.focus({ preventScroll: true });
    }
  }, [hash]);

  return (
    <Container py="6">
      <Flex direction="column" gap="4">
        <Text as="p" variant="body-medium">
          What each part of Shipshape's app-config is for and a minimal example
          of it. A card or page whose part is missing says "Not configured" and
          links here. Set the keys in the portal's app-config.yaml and restart
          the backend.
        </Text>
        {SHIPSHAPE_CONFIGURATION_HELP.map(help => (
          <Card
            key={help.key}
            id={help.key}
            tabIndex={-1}
            aria-labelledby={`${help.key}-title`}
            role="region"
          >
            <CardHeader>
              <Text as="h2" variant="title-small" id={`${help.key}-title`}>
                <code>{help.key}</code>
              </Text>
            </CardHeader>
            <CardBody>
              <Flex direction="column" gap="3">
                <Text as="p" variant="body-medium">
                  {help.description}
                </Text>
                <pre style={CODE}>
                  <code>{help.example}</code>
                </pre>
                <Text as="p" variant="body-small">
                  Every key of this part:{' '}
                  {docsUrl ? (
                    <Link
                      href={docsPageUrl(docsUrl, help.docsPage)}
                      variant="body-small"
                    >
                      {docsFile(help.docsPage)}
                    </Link>
                  ) : (
                    docsFile(help.docsPage)
                  )}{' '}
                  in the Shipshape docs, and the package's config.d.ts.
                </Text>
              </Flex>
            </CardBody>
          </Card>
        ))}
      </Flex>
    </Container>
  );
}
