import { ConfigReader } from '@backstage/config';
import { readBackupConfig } from './config';
import { locationRedactor } from './redact';

describe('locationRedactor', () => {
  const redact = locationRedactor(
    readBackupConfig(
      new ConfigReader({
        shipshape: {
          backup: {
            storage: {
              type: 's3',
              bucket: 'backups',
              endpoint: 'http://10.0.0.5:9000',
              prefix: 'prod/',
            },
            drill: { connection: { host: 'drill.internal', user: 'd' } },
            targets: [
              {
                name: 'payments-db',
                connection: { host: 'db', port: 5433, user: 'u' },
                copyTo: { type: 'local', directory: '/var/backups/dr' },
              },
            ],
          },
        },
      }),
    )!,
  );

  it('takes out S3 locations, endpoints, directories and hosts (whole words only)', () => {
    expect(
      redact(
        'Dumping payments-db (pg_dump -Fc) to s3://backups/prod/payments-db/x.dump at http://10.0.0.5:9000',
      ),
    ).toBe('Dumping payments-db (pg_dump -Fc) to s3://… at …');
    expect(
      redact(
        'cannot connect to database payments on db:5433 as u; drill.internal; copied to /var/backups/dr/payments-db/x.dump; 3 backups kept',
      ),
    ).toBe(
      'cannot connect to database payments on … as u; …; copied to …/payments-db/x.dump; 3 backups kept',
    );
  });
});
