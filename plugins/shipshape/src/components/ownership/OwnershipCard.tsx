import { InfoCard, Link, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { getCompoundEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  OwnershipContact,
  OwnershipView,
} from '@shipshape/plugin-shipshape-common';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
import { shipshapeApiRef } from '../../api';
import { ConfigHint, ShipshapeErrorPanel } from '../ShipshapeErrorPanel';
import { ClusterErrors } from './ClusterErrors';
import { formatUsd } from './format';
import { AccessibleColours } from '../AccessibleColours';

/** Long messages (they name the entity, the field and the fix) wrap inside the card. */
const WRAP = { whiteSpace: 'normal', overflowWrap: 'anywhere' } as const;

function ContactLine({ contact }: { contact: OwnershipContact }) {
  return (
    <>
      {contact.displayName
        ? `${contact.displayName} (${contact.ref})`
        : contact.ref}
      {contact.email && (
        <>
          {' · '}
          <Link to={`mailto:${contact.email}`} underline="always">
            {contact.email}
          </Link>
        </>
      )}
    </>
  );
}

function Section({
  title,
  children,
}: {
  title: string;
  children: React.ReactNode;
}) {
  return (
    <Box mb={2}>
      <Typography variant="subtitle2" component="h3" gutterBottom>
        {title}
      </Typography>
      {children}
    </Box>
  );
}

/** The loaded view; exported for the page and the tests. */
export function OwnershipDetails({ view }: { view: OwnershipView }) {
  const { owner, tags, violations, cost, labels } = view;
  return (
    <>
      <Section title="Owner">
        {owner ? (
          <Typography variant="body2" component="div">
            <ContactLine contact={owner} />
            {!owner.exists && (
              <Typography variant="body2" color="error" component="span">
                {' '}
                — not in the catalog
              </Typography>
            )}
            {owner.parent && (
              <div>
                Parent group: <ContactLine contact={owner.parent} />
              </div>
            )}
          </Typography>
        ) : (
          <Typography variant="body2" color="error">
            No owner
          </Typography>
        )}
      </Section>

      <Section title="Tags">
        {tags.length ? (
          <Table size="small" aria-label="Cost tags">
            <TableBody>
              {tags.map(tag => (
                <TableRow key={tag.name}>
                  <TableCell component="th" scope="row">
                    {tag.name}
                  </TableCell>
                  <TableCell>{tag.value}</TableCell>
                  <TableCell>
                    {tag.source === 'own'
                      ? 'own'
                      : `inherited from ${tag.source}`}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        ) : (
          <Typography variant="body2">No valid cost tags</Typography>
        )}
      </Section>

      <Section title="Policy violations">
        {violations.length ? (
          <List dense aria-label="Policy violations" disablePadding>
            {violations.map(v => (
              <ListItem key={`${v.rule}-${v.field}`} disableGutters>
                <ListItemText
                  secondaryTypographyProps={{ style: WRAP }}
                  primary={
                    <>
                      <Chip
                        size="small"
                        label={v.mode}
                        color={v.mode === 'enforce' ? 'secondary' : 'default'}
                      />{' '}
                      <Typography
                        variant="body2"
                        component="span"
                        color="error"
                      >
                        {v.field}
                      </Typography>
                    </>
                  }
                  secondary={v.message}
                />
              </ListItem>
            ))}
          </List>
        ) : (
          <Typography variant="body2">None: the policy is met</Typography>
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
          <Typography
            variant="body2"
            color={cost.status === 'error' ? 'error' : 'textPrimary'}
          >
            {cost.message}
          </Typography>
        )}
        {cost.status === 'ok' && (
          <>
            {cost.environments.length ? (
              <Table size="small" aria-label="Monthly cost per environment">
                <TableHead>
                  <TableRow>
                    <TableCell>Environment</TableCell>
                    <TableCell align="right">Pods</TableCell>
                    <TableCell align="right">CPU (cores)</TableCell>
                    <TableCell align="right">Memory (GiB)</TableCell>
                    <TableCell align="right">Per month</TableCell>
                  </TableRow>
                </TableHead>
                <TableBody>
                  {cost.environments.map(e => (
                    <TableRow
                      key={`${e.cluster}/${e.namespace}/${e.environment}`}
                    >
                      <TableCell component="th" scope="row">
                        {e.environment}
                        {e.environment !== e.namespace
                          ? ` (${e.namespace})`
                          : ''}{' '}
                        · {e.cluster}
                      </TableCell>
                      <TableCell align="right">{e.pods}</TableCell>
                      <TableCell align="right">{e.cpuCores}</TableCell>
                      <TableCell align="right">{e.memoryGib}</TableCell>
                      <TableCell align="right">
                        {formatUsd(e.monthlyUsd)}
                      </TableCell>
                    </TableRow>
                  ))}
                  <TableRow>
                    <TableCell component="th" scope="row" colSpan={4}>
                      Total
                    </TableCell>
                    <TableCell align="right">
                      {formatUsd(cost.monthlyUsd)}
                    </TableCell>
                  </TableRow>
                </TableBody>
              </Table>
            ) : (
              <Typography variant="body2">No running pods found.</Typography>
            )}
            <Typography variant="caption" component="p">
              Requests × {formatUsd(cost.prices.cpuCoreHourUsd, 6)}/core-hour
              and {formatUsd(cost.prices.memoryGibHourUsd, 6)}/GiB-hour ×{' '}
              {cost.prices.hoursPerMonth} h.
            </Typography>
            <ClusterErrors errors={cost.errors} />
          </>
        )}
      </Section>

      {labels.status === 'ok' && (
        <Section title="Kubernetes labels">
          {labels.objects.length ? (
            <List dense aria-label="Objects missing labels" disablePadding>
              {labels.objects.map(o => (
                <ListItem
                  key={`${o.cluster}/${o.namespace}/${o.kind}/${o.name}`}
                  disableGutters
                >
                  <ListItemText
                    secondaryTypographyProps={{ style: WRAP }}
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
                </ListItem>
              ))}
            </List>
          ) : (
            <Typography variant="body2">
              Every object carries the Shipshape labels.
            </Typography>
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
  const { value, loading, error } = useAsync(
    () => api.getEntityOwnership(ref),
    [api, ref.kind, ref.namespace, ref.name],
  );
  return (
    <AccessibleColours>
      <InfoCard title="Ownership & Cost">
        {loading && <Progress />}
        {error && <ShipshapeErrorPanel error={error} />}
        {value && <OwnershipDetails view={value} />}
      </InfoCard>
    </AccessibleColours>
  );
}
