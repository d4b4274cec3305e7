import fs from 'fs';
import path from 'path';
import {
  MAX_VALUE_LENGTH,
  SHIPSHAPE_ANNOTATIONS,
  parseDuration,
  readAnnotation,
} from './contract';

describe('entity contract', () => {
  it.each(Object.values(SHIPSHAPE_ANNOTATIONS))(
    '$name parses its own example and sits under shipshape.dev/',
    spec => {
      expect(spec.name.startsWith('shipshape.dev/')).toBe(true);
      expect(spec.parse(spec.example)).toMatchObject({ ok: true });
    },
  );

  it('names every annotation in the reference page', () => {
    const doc = fs.readFileSync(
      path.resolve(__dirname, '../../../docs/entity-contract.md'),
      'utf8',
    );
    for (const spec of Object.values(SHIPSHAPE_ANNOTATIONS)) {
      expect(doc).toContain(`\`${spec.name}\``);
    }
  });

  it('parses durations into seconds and rejects malformed ones precisely', () => {
    expect(parseDuration('rpo', '15m')).toEqual({ ok: true, value: 900 });
    expect(parseDuration('rto', '4h')).toEqual({ ok: true, value: 14400 });
    expect(parseDuration('rto', '0h')).toMatchObject({ ok: false });
    expect(parseDuration('rpo', '15 minutes')).toEqual({
      ok: false,
      error:
        'rpo is "15 minutes"; expected a positive duration like 15m, 4h or 30d',
    });
  });

  it('rejects an unknown tier, naming the allowed ones', () => {
    expect(SHIPSHAPE_ANNOTATIONS.tier.parse('gold')).toEqual({
      ok: false,
      error:
        'shipshape.dev/tier is "gold"; expected one of critical, standard, best-effort',
    });
  });

  it('refuses a connection string where a backup target name belongs', () => {
    const result = SHIPSHAPE_ANNOTATIONS.backupTarget.parse(
      'postgres://admin:hunter2@db:5432/payments',
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(/not a connection string/);
    expect(!result.ok && result.error).not.toContain('hunter2');
  });

  it('refuses huge values and bytes that were not valid UTF-8', () => {
    const huge = SHIPSHAPE_ANNOTATIONS.costCenter.parse(
      'C'.repeat(MAX_VALUE_LENGTH + 1),
    );
    expect(huge).toMatchObject({ ok: false });
    const garbled = Buffer.from([0x43, 0x43, 0xff, 0xfe]).toString('utf8');
    expect(SHIPSHAPE_ANNOTATIONS.costCenter.parse(garbled)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/not valid UTF-8/),
    });
  });

  it('reads an annotation from an entity, or undefined when absent', () => {
    const entity = {
      metadata: { annotations: { 'shipshape.dev/rto': '1h' } },
    };
    expect(readAnnotation(entity, 'rto')).toEqual({ ok: true, value: 3600 });
    expect(readAnnotation(entity, 'rpo')).toBeUndefined();
  });
});
