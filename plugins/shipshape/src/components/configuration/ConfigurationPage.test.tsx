import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  SHIPSHAPE_CONFIGURATION_HELP,
  shipshapeConfigurationHelpFor,
} from '@shipshape/plugin-shipshape-common';
import { fireEvent, screen, within } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';
import answers from '../../__fixtures__/unconfiguredBackend.json';
import { renderWithBackend } from '../../__testUtils__/render';
import {
  unconfiguredBackend,
  unconfiguredEntity,
} from '../../__testUtils__/unconfigured';
import { configurationRouteRef } from '../../routes';
import { DrReadinessCard } from '../dr';
import { configKeyOf } from '../ShipshapeErrorPanel';
import { ConfigurationPage } from './ConfigurationPage';

// the first render of a test app takes seconds on a busy 2-core machine
jest.setTimeout(60_000);

const routes = { '/shipshape/configuration': configurationRouteRef };

/** Every string of a recorded answer (messages, fixes, `unconfigured` lists). */
function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === 'object') {
    return Object.values(value).flatMap(stringsOf);
  }
  return [];
}

/**
 * Each `shipshape.*` key a "Not configured" hint can name on a portal without Shipshape config:
 * what configKeyOf (the hint's own reading) finds in the backend plugin's recorded answers
 * (__fixtures__/unconfiguredBackend.json, kept true by packages/backend's unconfiguredAnswers
 * test). A key the backend starts naming there without a help entry fails below.
 */
const namedKeys = [
  ...new Set(
    stringsOf(answers)
      .map(configKeyOf)
      .filter((key): key is string => key !== undefined),
  ),
].sort();

describe('the configuration help page', () => {
  it('derives the keys from the recorded answers', () => {
    expect(namedKeys).toEqual([
      'shipshape.backup.targets',
      'shipshape.environments',
      'shipshape.prometheus.instances',
    ]);
  });

  it('has an entry, titled with the key and showing its example, for every key an unconfigured answer names', async () => {
    await renderInTestApp(<ConfigurationPage />, { mountedRoutes: routes });
    const entries = await screen.findAllByRole('region');
    expect(entries.map(e => e.id).filter(Boolean)).toEqual(
      SHIPSHAPE_CONFIGURATION_HELP.map(h => h.key),
    );
    for (const key of namedKeys) {
      const help = shipshapeConfigurationHelpFor(key);
      expect({ key, help: help?.key }).toEqual({ key, help: key });
      const entry = screen.getByRole('region', { name: key });
      expect(entry).toHaveAttribute('id', key);
      expect(within(entry).getByText(help!.description)).toBeInTheDocument();
      // the example as written (the <pre> keeps its lines)
      expect(entry.querySelector('pre')?.textContent).toBe(help!.example);
      expect(entry).toHaveTextContent(
        `docs/${help!.docsPage.split('#')[0]} in the Shipshape docs`,
      );
    }
  });

  it('links each entry to its docs page when shipshape.docsUrl is set', async () => {
    await renderInTestApp(<ConfigurationPage />, {
      mountedRoutes: routes,
      config: { shipshape: { docsUrl: 'https://git.example/portal/docs/' } },
    });
    const entry = await screen.findByRole('region', {
      name: 'shipshape.backup.targets',
    });
    expect(
      within(entry).getByRole('link', { name: 'docs/backup.md' }),
    ).toHaveAttribute(
      'href',
      'https://git.example/portal/docs/backup.md#configuration-app-config-only',
    );
  });

  it("a card's hint links to the page, which opens at the key's entry", async () => {
    await renderWithBackend(
      <Routes>
        <Route path="/" element={<DrReadinessCard />} />
        <Route
          path="/shipshape/configuration"
          element={<ConfigurationPage />}
        />
      </Routes>,
      unconfiguredEntity,
      unconfiguredBackend(),
      false,
      [],
      routes,
    );
    const link = await screen.findByRole('link', {
      name: 'How to configure it (example on the Shipshape configuration page)',
    });
    expect(link).toHaveAttribute(
      'href',
      '/shipshape/configuration#shipshape.backup.targets',
    );
    fireEvent.click(link);
    const entry = await screen.findByRole('region', {
      name: 'shipshape.backup.targets',
    });
    expect(entry).toHaveFocus();
    expect(screen.queryByText('DR Readiness')).not.toBeInTheDocument();
  });

  it('without the page mounted (an old-system app that did not add it), the hint names the docs page', async () => {
    await renderWithBackend(
      <DrReadinessCard />,
      unconfiguredEntity,
      unconfiguredBackend(),
    );
    expect(
      await screen.findByText(
        'How to configure it: docs/backup.md in the Shipshape docs.',
      ),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('link', { name: /How to configure it/ }),
    ).not.toBeInTheDocument();
  });
});
