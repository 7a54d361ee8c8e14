/**
 * The first hour with the demo: `npm start -- --port N` serves on the port asked for, and SCIM
 * is on, so a token minted with the CLI against the demo's config works at once.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../support/ports.ts';
import { REPO_ROOT, startDemoProcess, type DemoProcess } from '../../support/demo-process.ts';

const run = promisify(execFile);

describe('npm start -- --port N, then SCIM with a minted token', () => {
  let demo: DemoProcess;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    // No GATEHOUSE_PORT: the flag alone picks the port.
    demo = await startDemoProcess(['--port', String(port)], { GATEHOUSE_PORT: undefined });
  }, 60_000);

  afterAll(() => demo?.stop());

  it('serves on the chosen port and prints that URL', async () => {
    expect(demo.url).toBe(`http://127.0.0.1:${port}`);
    const res = await fetch(`${demo.url}/healthz`);
    expect(res.status).toBe(200);
  });

  it('a token minted with `gatehouse scim-token mint --config docs/demo/gatehouse.yaml` lists users over SCIM', async () => {
    const minted = await run('node', ['bin/gatehouse.mjs', 'scim-token', 'mint', '--config', 'docs/demo/gatehouse.yaml', '--name', 'first-hour'], {
      cwd: REPO_ROOT,
      env: { ...process.env, GATEHOUSE_DEMO_DATA_DIR: demo.dataDir },
    });
    const token = minted.stdout.trim();
    expect(token).not.toBe('');
    const res = await fetch(`${demo.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${token}`, accept: 'application/scim+json' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'] });
    const denied = await fetch(`${demo.url}/scim/v2/Users`, { headers: { authorization: 'Bearer not-a-token' } });
    expect(denied.status).toBe(401);
  });

  it('a bad --port is one clear error, not a stack', async () => {
    const failed = await run('node', ['bin/gatehouse.mjs', 'demo', '--port', 'forty'], { cwd: REPO_ROOT }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).not.toBe(0);
    expect(failed?.stderr.trim()).toMatch(/^error: .*--port.*forty/i);
    expect(failed?.stderr.trim().split('\n')).toHaveLength(1);
  });
});
