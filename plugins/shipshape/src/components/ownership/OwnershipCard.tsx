import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { EntityInfoCard, useEntity } from '@backstage/plugin-catalog-react';
import {
  OwnershipContact,
  OwnershipView,
} from '@shipshape/plugin-shipshape-common';
import { Badge, Flex, Link, Text } from '@backstage/ui';
import { ReactNode } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { shipshapeApiRef } from '../../api';
import { DangerText } from '../DangerText';
import { ConfigHint, ShipshapeErrorPanel } from '../ShipshapeErrorPanel';
import { StaticTable, Td, Th } from '../StaticTable';
import { ClusterErrors } from './ClusterErrors';
import { formatUsd } from './format';
import { FALLBACK_POLL_MS, useEntitySignal } from '../useEntitySignal';
import { SignalFreshness } from '../SignalFreshness';

/** Long messages (they name the entity, the field and the fix) wrap inside the card. */
const WRAP = { whiteSpace: 'normal', overflowWrap: 'anywhere' } as const;
const LIST = { listStyle: 'none', margin: 0, padding: 0 } as const;

function ContactLine({ contact }: { contact: OwnershipContact }) {
  return (
    <>
      {contact.displayName
        ? `${contact.displayName} (${contact.ref})`
        : contact.ref}
      {contact.email && (
        <>
          {' · '}
          <Link href={`mailto:${contact.email}`}>{contact.email}</Link>
        </>
      )}
    </>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Flex direction="column" gap="1" mb="4">
      <Text as="h4" variant="body-medium" weight="bold">
        {title}
      </Text>
      {children}
    </Flex>
  );
}

/** One item of a list: a line and, below it, its detail. */
function Item(props: { primary: ReactNode; secondary?: string }) {
  return (
    <li style={{ padding: 'var(--bui-space-1) 0' }}>
      <Text as="div" variant="body-small">
        {props.primary}
      </Text>
      {props.secondary && (
        <Text as="div" variant="body-small" style={WRAP}>
          {props.secondary}
        </Text>
      )}
    </li>
  );
}

/** The loaded view; exported for the page and the tests. */
export function OwnershipDetails({ view }: { view: OwnershipView }) {
  const { owner, tags, violations, cost, labels } = view;
  return (
    <>
      <Section title="Owner">
        {owner ? (
          <Text as="div" variant="body-small">
            <ContactLine contact={owner} />
            {!owner.exists && (
              <>
                {' '}
                <DangerText>— not in the catalog</DangerText>
              </>
            )}
            {owner.parent && (
              <div>
                Parent group: <ContactLine contact={owner.parent} />
              </div>
            )}
          </Text>
        ) : (
          <DangerText as="p" variant="body-small">
            No owner
          </DangerText>
        )}
      </Section>

      <Section title="Tags">
        {tags.length ? (
          <StaticTable label="Cost tags">
            <tbody>
              {tags.map(tag => (
                <tr key={tag.name}>
                  <Th scope="row">{tag.name}</Th>
                  <Td>{tag.value}</Td>
                  <Td>
                    {tag.source === 'own'
                      ? 'own'
                      : `inherited from ${tag.source}`}
                  </Td>
                </tr>
              ))}
            </tbody>
          </StaticTable>
        ) : (
          <Text as="p" variant="body-small">
            No valid cost tags
          </Text>
        )}
      </Section>

      <Section title="Policy violations">
        {violations.length ? (
          <ul aria-label="Policy violations" style={LIST}>
            {violations.map(v => (
              <Item
                key={`${v.rule}-${v.field}`}
                primary={
                  <Flex align="center" gap="2">
                    <Badge size="small">{v.mode}</Badge>
                    <DangerText variant="body-small">{v.field}</DangerText>
                  </Flex>
                }
                secondary={v.message}
              />
            ))}
          </ul>
        ) : (
          <Text as="p" variant="body-small">
            None: the policy is met
          </Text>
        )}
      </Section>

      <Section title="Monthly cost">
        {cost.status === 'no-cluster' && (
          <ConfigHint
            configKey="shipshape.environments"
            message="No environments are configured, so the cost cannot be estimated: set shipshape.environments in app-config."
          />
        )}
        {(cost.status === 'not-deployed' || cost.status === 'error') && (
          <Text as="p" variant="body-small" style={WRAP}>
            {cost.status === 'error' ? (
              <DangerText>{cost.message}</DangerText>
            ) : (
              cost.message
            )}
          </Text>
        )}
        {cost.status === 'ok' && (
          <>
            {cost.environments.length ? (
              <StaticTable label="Monthly cost per environment">
                <thead>
                  <tr>
                    <Th>Environment</Th>
                    <Th align="right">Pods</Th>
                    <Th align="right">CPU (cores)</Th>
                    <Th align="right">Memory (GiB)</Th>
                    <Th align="right">Per month</Th>
                  </tr>
                </thead>
                <tbody>
                  {cost.environments.map(e => (
                    <tr key={`${e.cluster}/${e.namespace}/${e.environment}`}>
                      <Th scope="row">
                        {e.environment}
                        {e.environment !== e.namespace
                          ? ` (${e.namespace})`
                          : ''}{' '}
                        · {e.cluster}
                      </Th>
                      <Td align="right">{e.pods}</Td>
                      <Td align="right">{e.cpuCores}</Td>
                      <Td align="right">{e.memoryGib}</Td>
                      <Td align="right">{formatUsd(e.monthlyUsd)}</Td>
                    </tr>
                  ))}
                  <tr>
                    <Th scope="row" colSpan={4}>
                      Total
                    </Th>
                    <Td align="right">{formatUsd(cost.monthlyUsd)}</Td>
                  </tr>
                </tbody>
              </StaticTable>
            ) : (
              <Text as="p" variant="body-small">
                No running pods found.
              </Text>
            )}
            <Text as="p" variant="body-x-small">
              Requests × {formatUsd(cost.prices.cpuCoreHourUsd, 6)}/core-hour
              and {formatUsd(cost.prices.memoryGibHourUsd, 6)}/GiB-hour ×{' '}
              {cost.prices.hoursPerMonth} h.
            </Text>
            <ClusterErrors errors={cost.errors} />
          </>
        )}
      </Section>

      {labels.status === 'ok' && (
        <Section title="Kubernetes labels">
          {labels.objects.length ? (
            <ul aria-label="Objects missing labels" style={LIST}>
              {labels.objects.map(o => (
                <Item
                  key={`${o.cluster}/${o.namespace}/${o.kind}/${o.name}`}
                  primary={`${o.kind} ${o.namespace}/${o.name}`}
                  secondary={[
                    o.missing.length ? `missing ${o.missing.join(', ')}` : '',
                    ...o.mismatched.map(
                      m =>
                        `${m.label} is "${m.actual}", the catalog says "${m.expected}"`,
                    ),
                  ]
                    .filter(Boolean)
                    .join('; ')}
                />
              ))}
            </ul>
          ) : (
            <Text as="p" variant="body-small">
              Every object carries the Shipshape labels.
            </Text>
          )}
        </Section>
      )}
    </>
  );
}

/** Ownership & Cost: owner and contact, cost tags and where they came from, violations, monthly cost. */
export function OwnershipCard() {
  const { entity } = useEntity();
  const api = useApi(shipshapeApiRef);
  const ref = getCompoundEntityRef(entity);
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.getEntityOwnership(ref),
    [api, ref.kind, ref.namespace, ref.name],
  );
  // Re-read on the signals the Rollout card re-reads on: a workload of the entity changed in its
  // cluster (a release, a deploy, pods coming up), or an operation of it ended.
  const freshness = useEntitySignal(
    stringifyEntityRef(entity),
    s => {
      if (s.kind === 'rollout') retry();
      if (
        s.kind === 'operation' &&
        !['queued', 'running'].includes(s.status ?? '')
      ) {
        retry();
      }
    },
    () => retry(),
    FALLBACK_POLL_MS,
  );
  return (
    <EntityInfoCard title="Ownership & Cost">
      {/* MUI progress bar (core-components): Backstage UI 0.18 has no progress indicator yet */}
      {loading && !value && <Progress />}
      {error && <ShipshapeErrorPanel error={error} />}
      {value && <OwnershipDetails view={value} />}
      <SignalFreshness {...freshness} testId="ownership-freshness" />
    </EntityInfoCard>
  );
}
