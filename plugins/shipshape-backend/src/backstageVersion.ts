import fs from 'node:fs';
import path from 'node:path';

/**
 * The Backstage release Shipshape is built and tested against (README, "Installing Shipshape"),
 * told by the portal backend's `@backstage/backend-defaults`: 0.18 is Backstage 1.55's, 0.19 what
 * a fresh 1.55 portal needs for its signals plugin. Older backends lack services Shipshape uses.
 */
export const SUPPORTED_BACKSTAGE = {
  release: '1.55',
  backendDefaults: '0.18',
  oldestBackendDefaults: [0, 18] as const,
};

/** The version of `@backstage/backend-defaults` the portal's backend loads, if it can be found. */
export function backendDefaultsVersion(
  fromDirs: string[] = [
    process.cwd(),
    ...(require.main ? [path.dirname(require.main.filename)] : []),
  ],
): string | undefined {
  try {
    const file = require.resolve('@backstage/backend-defaults/package.json', {
      paths: fromDirs,
    });
    return JSON.parse(fs.readFileSync(file, 'utf8')).version;
  } catch {
    return undefined;
  }
}

/**
 * Why this backend's Backstage is too old for Shipshape, in one line naming the version, or
 * undefined when it is supported (or cannot be told).
 */
export function unsupportedBackstage(
  version: string | undefined,
): string | undefined {
  const m = version && /^(\d+)\.(\d+)\./.exec(version);
  if (!m) return undefined;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  const [oldMajor, oldMinor] = SUPPORTED_BACKSTAGE.oldestBackendDefaults;
  if (major > oldMajor || (major === oldMajor && minor >= oldMinor)) {
    return undefined;
  }
  return (
    `Shipshape supports Backstage ${SUPPORTED_BACKSTAGE.release} (@backstage/backend-defaults ` +
    `${SUPPORTED_BACKSTAGE.backendDefaults} or later); this backend runs @backstage/backend-defaults ` +
    `${version}, an older Backstage release. Upgrade the portal first ` +
    `(yarn backstage-cli versions:bump --release ${SUPPORTED_BACKSTAGE.release}), then add Shipshape`
  );
}

/** Stops the backend at start, before any plugin runs, on a Backstage that is too old. */
export function assertSupportedBackstage(fromDirs?: string[]): void {
  const reason = unsupportedBackstage(backendDefaultsVersion(fromDirs));
  if (reason) throw new Error(reason);
}
