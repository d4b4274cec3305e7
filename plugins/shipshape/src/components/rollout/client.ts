import {
  DiscoveryApi,
  FetchApi,
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import { RolloutStatusResponse } from '@shipshape/plugin-shipshape-common';
import { useMemo } from 'react';

/** Reads the rollout API of the Shipshape backend. */
export class RolloutClient {
  constructor(
    private readonly discoveryApi: DiscoveryApi,
    private readonly fetchApi: FetchApi,
  ) {}

  async getRollout(ref: {
    kind: string;
    namespace: string;
    name: string;
  }): Promise<RolloutStatusResponse> {
    const base = await this.discoveryApi.getBaseUrl('shipshape');
    const path = [ref.kind, ref.namespace, ref.name]
      .map(s => encodeURIComponent(s.toLocaleLowerCase('en-US')))
      .join('/');
    const res = await this.fetchApi.fetch(`${base}/entities/${path}/rollout`);
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return res.json();
  }
}

export function useRolloutClient(): RolloutClient {
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  return useMemo(
    () => new RolloutClient(discoveryApi, fetchApi),
    [discoveryApi, fetchApi],
  );
}
