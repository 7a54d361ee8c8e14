/**
 * The package as an Express developer gets it: `npm pack` of this repository, the tarball
 * installed into a fresh app in a temporary folder, then
 * - the example app (examples/passport-app, plain JS) run with plain `node`: logins through
 *   `passport.authenticate` over the real OIDC provider and SAML IdP, `req.user` with
 *   memberships, 200/403/401 from the guards;
 * - a strict TypeScript consumer (`module: nodenext`) type-checked against the packed types,
 *   with lines that must be type errors;
 * - publint and arethetypeswrong on the tarball; the tarball's file list; the library entry's
 *   import graph (no demo packages); `gatehouse serve` from the installed package (no tsx).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../support/agent.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { loginThroughOidc, loginThroughSaml } from '../support/idp-login.ts';
import { LIB_OIDC, LIB_SAML, startLibraryIdps, type LibraryIdps } from '../support/library-idps.ts';
import { freePort } from '../support/ports.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const BIN = (name: string) => join(ROOT, 'node_modules/.bin', name);
const INSTALL_TIMEOUT_MS = 10 * 60_000;

/** The environment of a child npm/node: without the npm_* variables of the `npm test` that runs us. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return { ...env, ...extra };
}

/** Starts a node process and resolves once its output matches `ready`. */
function start(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} ${args.join(' ')} did not start:\n${output}`)), 60_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = ready.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${cmd} exited with ${code}:\n${output}`)));
  });
}

function stop(child: ChildProcess | undefined): void {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

describe('the npm package', () => {
  let tmp: string;
  let app: string;
  let tarball: string;
  let files: string[];

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'gatehouse-pkg-'));
    const packed = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: ROOT, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024 });
    const info = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    tarball = join(tmp, info[0]!.filename);
    files = info[0]!.files.map((f) => f.path);
    app = join(tmp, 'app');
    mkdirSync(app);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { gatehouse: `file:${tarball}`, express: '^5.3.0', 'express-session': '^1.19.0', passport: '^0.7.0' } }),
    );
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: app, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024, timeout: INSTALL_TIMEOUT_MS });
    copyFileSync(join(ROOT, 'examples/passport-app/server.mjs'), join(app, 'server.mjs'));
  }, INSTALL_TIMEOUT_MS + 60_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('ships dist/, the CLI and the demo config, and no tests, benches, CI files, sources or screenshots', () => {
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'bin/gatehouse.mjs', 'dist/index.js', 'dist/index.d.ts', 'docs/demo/gatehouse.yaml', 'dist/plugin/console/assets/console.css']));
    const unwanted = files.filter((f) => /^(test|bench|\.ci|examples|scripts|plugin|adapters)\//.test(f) || f.startsWith('docs/screenshots') || (/\.ts$/.test(f) && !f.endsWith('.d.ts')));
    expect(unwanted).toEqual([]);
  });

  it('passes publint and arethetypeswrong', async () => {
    const lint = await run(BIN('publint'), ['run', join(app, 'node_modules/gatehouse'), '--pack', 'false', '--level', 'warning'], { cwd: ROOT, env: cleanEnv() });
    // publint exits non-zero on errors (run() would have thrown); warnings are held to the same bar.
    expect(lint.stdout).toMatch(/All good!/);
    // esm-only: the package is ESM for `node16`/`nodenext` and bundlers; no CommonJS entry is claimed.
    const attw = await run(BIN('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii'], { cwd: ROOT, env: cleanEnv() });
    // attw exits non-zero on any problem that the profile does not ignore; run() would have thrown.
    expect(attw.stdout).toMatch(/node16 \(from ESM\): 🟢 \(ESM\)/);
    expect(attw.stdout).toMatch(/bundler: 🟢/);
  }, 120_000);

  it('loads no demo-only package from the library entry', () => {
    const pkgDir = join(app, 'node_modules/gatehouse');
    const seen = new Set<string>();
    const bare = new Set<string>();
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) {
        const spec = m[1] ?? m[2] ?? m[3]!;
        if (spec.startsWith('.')) walk(join(dirname(file), spec));
        else bare.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    };
    walk(join(pkgDir, 'dist/index.js'));
    expect(seen.size).toBeGreaterThan(50);
    expect([...bare]).toEqual(expect.arrayContaining(['express', 'passport', 'knex', 'openid-client', '@node-saml/passport-saml']));
    for (const demoOnly of ['oidc-provider', 'node-forge', 'tsx']) expect(bare.has(demoOnly), demoOnly).toBe(false);
  });

  it('keeps tsx out of what production installs', async () => {
    const ls = await run('npm', ['ls', 'tsx', '--omit=dev', '--json'], { cwd: ROOT, env: cleanEnv() }).catch((e: { stdout: string }) => e);
    expect(JSON.parse(ls.stdout).dependencies ?? {}).toEqual({});
    const appLs = await run('npm', ['ls', 'tsx', '--json'], { cwd: app, env: cleanEnv() }).catch((e: { stdout: string }) => e);
    expect(JSON.parse(appLs.stdout).dependencies ?? {}).toEqual({});
  });

  it('type-checks a strict TypeScript consumer (module nodenext) against the packed types, and the types are not any', async () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, skipLibCheck: false, types: [] }, files: ['consumer.ts'] }),
    );
    writeFileSync(
      join(app, 'consumer.ts'),
      `import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { createGatehouse, ConfigError, type Gatehouse, type GatehouseConfig, type GatehouseUser, type GatehouseLoginRefusal } from 'gatehouse';

const config: GatehouseConfig = {
  database: { client: 'sqlite3', connection: { filename: ':memory:' } },
  providers: [{ id: 'corp-oidc', type: 'oidc', issuer: 'https://idp.example.com', clientId: 'app', firstLoginPolicy: 'pending_approval' }],
};
const gh: Gatehouse = await createGatehouse(config);
passport.use(gh.strategy('corp-oidc'));
passport.serializeUser(gh.serializeUser);
passport.deserializeUser(gh.deserializeUser);
const app = express();
app.use(session({ secret: 's', resave: false, saveUninitialized: false }));
app.use(passport.session());
app.get('/orders', gh.requireRole('acme-corp', 'admin'), (req, res) => {
  const user = req.user as GatehouseUser;
  const roles: string[] = user.memberships.flatMap((m) => m.roles);
  res.json({ roles, admin: user.instanceAdmin satisfies boolean });
});
app.use(gh.scim());
app.use('/admin', gh.admin());
const reason: GatehouseLoginRefusal['reason'] = 'not_allowlisted';
const err: Error = new ConfigError('providers[0].issuer', 'bad');
await gh.close();

// @ts-expect-error: a provider id is a string
gh.strategy(42);
// @ts-expect-error: requireRole needs the organization and the role
gh.requireRole('acme-corp');
// @ts-expect-error: not a FirstLoginPolicy
const badPolicy: GatehouseConfig = { providers: [{ id: 'x', type: 'oidc', issuer: 'https://i', clientId: 'c', firstLoginPolicy: 'maybe' }] };
// @ts-expect-error: not a provider type
const badType: GatehouseConfig = { providers: [{ id: 'x', type: 'ldap' }] };
// @ts-expect-error: status is a closed set
const status: GatehouseUser['status'] = 'sleeping';
// @ts-expect-error: memberships hold names, not numbers
const n: number = ({} as GatehouseUser).memberships[0]!.roles[0]!;
// @ts-expect-error: not a refusal reason
const badReason: GatehouseLoginRefusal['reason'] = 'because';
// @ts-expect-error: createGatehouse returns a promise
createGatehouse(config).strategy('corp-oidc');
export { reason, err, badPolicy, badType, status, n, badReason };
`,
    );
    const tsc = await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(app, 'tsconfig.json')], { cwd: app, env: cleanEnv() }).catch(
      (e: { stdout: string; stderr: string; code: number }) => e,
    );
    expect(`${tsc.stdout}${tsc.stderr}`).toBe('');
  }, 120_000);

  describe('the example app run with plain node', () => {
    let db: TestDatabase;
    let idps: LibraryIdps;
    let child: ChildProcess | undefined;
    let url: string;

    beforeAll(async () => {
      db = await createTestDatabase('sqlite');
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      idps = await startLibraryIdps(url);
      const configFile = join(app, 'gatehouse.json');
      writeFileSync(configFile, JSON.stringify(idps.config(db)));
      ({ child } = await start(process.execPath, ['server.mjs'], app, cleanEnv({ GATEHOUSE_CONFIG: configFile, PORT: String(port), SESSION_SECRET: 'example-app-session-secret' }), /listening on/));
    }, 90_000);
    afterAll(async () => {
      stop(child);
      await idps?.close();
      await db?.drop();
    });

    const json = (agent: Agent, path: string) => agent.get(`${url}${path}`, { accept: 'application/json' });

    it('signs users in over OIDC and SAML through passport.authenticate; req.user has the memberships; guards give 200/403/401', async () => {
      const alice = new Agent();
      const res = await loginThroughOidc(alice, `${url}/auth/${LIB_OIDC}/login`, `${url}/auth/${LIB_OIDC}/callback`, 'alice');
      expect(res.status).toBe(302);
      expect(res.location).toBe(`${url}/`);
      expect((await json(alice, '/me')).json()).toEqual({
        id: expect.any(String),
        email: 'alice@example.com',
        status: 'active',
        instanceAdmin: true,
        memberships: [{ organization: 'acme-corp', roles: ['admin'], groups: ['developers'] }],
      });
      expect((await json(alice, '/orders')).status).toBe(200);

      const bob = new Agent();
      expect((await loginThroughSaml(bob, `${url}/auth/${LIB_SAML}/login`, 'bob')).status).toBe(302);
      const pending = await json(bob, '/me');
      expect(pending.status).toBe(403);
      expect(pending.json()).toMatchObject({ error: 'pending_approval', waitingRoom: '/auth/waiting-room' });
      expect((await bob.get(`${url}/auth/waiting-room`, { accept: 'text/html' })).text).toContain('Waiting for approval');
      expect((await json(bob, '/orders')).status).toBe(403);
      const aliceSaml = new Agent();
      expect((await loginThroughSaml(aliceSaml, `${url}/auth/${LIB_SAML}/login`, 'alice')).location).toBe(`${url}/`);
      expect((await json(aliceSaml, '/orders')).status).toBe(200);

      expect((await json(new Agent(), '/orders')).status).toBe(401);
      const dave = await loginThroughOidc(new Agent(), `${url}/auth/${LIB_OIDC}/login`, `${url}/auth/${LIB_OIDC}/callback`, 'dave');
      expect(dave.location).toBe(`${url}/denied`);
    });
  });

  it("runs the README's library snippet as shown, with plain node", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Use it as a library'));
    const snippet = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    expect(snippet).toContain("from 'gatehouse'");
    const dir = join(app, 'readme');
    mkdirSync(dir);
    writeFileSync(join(dir, 'app.mjs'), snippet!);
    const port = await freePort();
    const { child } = await start(process.execPath, ['app.mjs'], dir, cleanEnv({ PORT: String(port) }), /listening/);
    try {
      const orders = await new Agent().get(`http://127.0.0.1:${port}/orders`, { accept: 'application/json' });
      expect(orders.status).toBe(401);
      expect((await new Agent().get(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
    } finally {
      stop(child);
    }
  }, 90_000);

  it('runs `gatehouse serve` from the installed package with plain node', async () => {
    const db = await createTestDatabase('sqlite');
    const configFile = join(app, 'serve.json');
    writeFileSync(configFile, JSON.stringify({ server: { port: 0, sessionSecret: 'serve-session-secret-0123456789' }, database: db.config, log: { level: 'info' } }));
    const { child, match } = await start(join(app, 'node_modules/.bin/gatehouse'), ['serve', '--config', configFile], app, cleanEnv(), /Gatehouse listening on (http:\/\/\S+)/);
    try {
      const health = await new Agent().get(`${match[1]}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      stop(child);
      await db.drop();
    }
  }, 90_000);
});
