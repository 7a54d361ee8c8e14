/**
 * scim.basePath is answered before every other route, so a path that would swallow the root or
 * Gatehouse's own routes fails at start, with the key path.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../plugin/config/parse.ts';
import { ConfigError } from '../../../plugin/errors.ts';

const withBase = (basePath: string) => () => parseConfig({ server: { sessionSecret: 'x'.repeat(32) }, scim: { enabled: true, basePath } });

describe('scim.basePath', () => {
  it.each(['/', '', 'scim', '/auth', '/auth/scim', '/Admin/scim', '/healthz', '/metrics', '/scim v2', '/scim//v2'])('refuses %j', (basePath) => {
    let error: unknown = null;
    try {
      withBase(basePath)();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('scim.basePath');
  });

  it.each(['/scim/v2', '/scim', '/api/scim/v2/', '/authority/scim'])('accepts %j', (basePath) => {
    expect(withBase(basePath)().scim.basePath).toBe(basePath);
  });
});
