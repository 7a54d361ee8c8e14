import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../support/agent.ts';
import { startHarness, type Harness } from '../support/harness.ts';

describe('smoke', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ db: 'sqlite' });
  });
  afterAll(() => h?.close());

  it('oidc login', async () => {
    const a = new Agent();
    const res = await h.loginOidc(a, 'alice');
    console.log(res.status, res.location, res.text.slice(0, 300));
    const me = await h.me(a);
    console.log(me.status, me.text);
    expect(me.status).toBe(200);
  });
  it('saml login', async () => {
    const a = new Agent();
    const res = await h.loginSaml(a, 'carol');
    console.log(res.status, res.location, res.text.slice(0, 300));
    const me = await h.me(a);
    console.log(me.status, me.text);
    expect(me.status).toBe(200);
  });
});
