import {
  DiscoveryApi,
  FetchApi,
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  DrReadiness,
  ReadinessChange,
} from '@shipshape/plugin-shipshape-common';
import { useMemo } from 'react';

/** A backup record as GET /entities/.../backups lists it (docs/backup.md). */
export interface BackupItem {
  id: string;
  status: 'running' | 'verified' | 'succeeded' | 'failed' | 'deleted';
  /** pg_dump (the portal dumped and verified it) or in-cluster (the chart's CronJob ran). */
  method?: 'pg_dump' | 'in-cluster';
  location?: string;
  reason?: string;
  durationMs?: number;
  failedStep?: string;
  error?: string;
  sizeBytes?: number;
  startedAt: string;
  requestedBy: string;
  drills: Array<{
    id: string;
    status: 'running' | 'passed' | 'failed';
    startedAt: string;
    restoreMs?: number;
    failedStep?: string;
    error?: string;
  }>;
}

export interface BackupHistory {
  target: string;
  storage: string;
  items: BackupItem[];
}

/** GET /entities/.../dr-readiness: the grade, its checks, what changed since the last grade. */
export interface DrReadinessReport extends DrReadiness {
  entityRef: string;
  environment: string;
  target?: { name: string; storage: string };
  /** When the current grade was first recorded. */
  gradedAt: string;
  previous?: { status: DrReadiness['status']; gradedAt: string };
  changes: ReadinessChange[];
}

type Ref = { kind: string; namespace: string; name: string };

/** The backup API of the Shipshape backend. */
export class BackupClient {
  constructor(
    private readonly discoveryApi: DiscoveryApi,
    private readonly fetchApi: FetchApi,
  ) {}

  private async base(ref: Ref) {
    const base = await this.discoveryApi.getBaseUrl('shipshape');
    const path = [ref.kind, ref.namespace, ref.name]
      .map(s => encodeURIComponent(s.toLocaleLowerCase('en-US')))
      .join('/');
    return `${base}/entities/${path}`;
  }

  async history(ref: Ref): Promise<BackupHistory> {
    const res = await this.fetchApi.fetch(`${await this.base(ref)}/backups`);
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return res.json();
  }

  async readiness(ref: Ref): Promise<DrReadinessReport> {
    const res = await this.fetchApi.fetch(
      `${await this.base(ref)}/dr-readiness`,
    );
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return res.json();
  }

  async backUp(ref: Ref, reason: string): Promise<BackupItem> {
    const res = await this.fetchApi.fetch(`${await this.base(ref)}/backups`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ reason }),
    });
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return res.json();
  }

  async drill(ref: Ref): Promise<{ id: string }> {
    const res = await this.fetchApi.fetch(
      `${await this.base(ref)}/restore-drills`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({}),
      },
    );
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return res.json();
  }
}

export function useBackupClient(): BackupClient {
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  return useMemo(
    () => new BackupClient(discoveryApi, fetchApi),
    [discoveryApi, fetchApi],
  );
}
