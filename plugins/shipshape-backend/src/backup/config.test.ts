import { ConfigReader } from '@backstage/config';
import { readBackupConfig, unsetEnvironment } from './config';

const s3 = (bucket: string) => ({
  type: 's3',
  bucket,
  accessKeyIdEnv: 'SHIPSHAPE_CONFIG_TEST_S3_KEY',
  secretAccessKeyEnv: 'SHIPSHAPE_CONFIG_TEST_S3_SECRET',
});
const connection = (passwordEnv: string) => ({
  host: '127.0.0.1',
  user: 'app',
  passwordEnv,
});

describe('unsetEnvironment', () => {
  it('names each unset variable once, with every key that names it', () => {
    process.env.SHIPSHAPE_CONFIG_TEST_S3_SECRET = 'set';
    process.env.SHIPSHAPE_CONFIG_TEST_EMPTY_PW = '';
    const backup = readBackupConfig(
      new ConfigReader({
        shipshape: {
          backup: {
            storage: s3('backups'),
            drill: { connection: connection('SHIPSHAPE_CONFIG_TEST_SU') },
            targets: [
              {
                name: 'payments-db',
                connection: connection('SHIPSHAPE_CONFIG_TEST_EMPTY_PW'),
                copyTo: s3('backups-dr'),
              },
              {
                name: 'orders-db',
                connection: connection('SHIPSHAPE_CONFIG_TEST_SU'),
              },
            ],
          },
        },
      }),
    )!;
    // An empty password is allowed (as passwordOf reads it), an empty S3 key is not.
    expect(unsetEnvironment(backup)).toEqual([
      'environment variable SHIPSHAPE_CONFIG_TEST_S3_KEY is not set (named by shipshape.backup.targets[name=payments-db].storage.accessKeyIdEnv, shipshape.backup.targets[name=payments-db].copyTo.accessKeyIdEnv, shipshape.backup.targets[name=orders-db].storage.accessKeyIdEnv): backups and restore drills that need it will fail',
      'environment variable SHIPSHAPE_CONFIG_TEST_SU is not set (named by shipshape.backup.targets[name=orders-db].connection.passwordEnv, shipshape.backup.drill.connection.passwordEnv): backups and restore drills that need it will fail',
    ]);
    process.env.SHIPSHAPE_CONFIG_TEST_S3_KEY = 'set';
    process.env.SHIPSHAPE_CONFIG_TEST_SU = 'set';
    expect(unsetEnvironment(backup)).toEqual([]);
  });
});
