import fs from 'fs';
import path from 'path';
import YAML from 'yaml';
import { spec } from './openapi.generated';

describe('OpenAPI document', () => {
  it('the generated module matches openapi.yaml (run node src/schema/generate.js)', () => {
    const yaml = YAML.parse(
      fs.readFileSync(path.join(__dirname, 'openapi.yaml'), 'utf8'),
    );
    expect(JSON.parse(JSON.stringify(spec))).toEqual(yaml);
  });
});
