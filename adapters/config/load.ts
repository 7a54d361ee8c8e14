/**
 * Reads a config file (YAML or JSON), interpolates `${ENV}` / `${ENV:-default}` in string
 * values, and resolves it. Every error names the key path.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../plugin/errors.ts';
import { formatPath, parseConfig } from '../../plugin/config/parse.ts';
import type { ResolvedConfig } from '../../plugin/config/schema.ts';

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

const WHOLE_VAR = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;

export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, path: (string | number)[] = []): unknown {
  if (typeof value === 'string') {
    const out = value.replace(VAR, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      throw new ConfigError(formatPath(path), `environment variable ${name} is not set`);
    });
    // `port: ${PORT}` should be a number, as if it had been written in the file.
    if (WHOLE_VAR.test(value)) {
      if (/^-?\d+$/.test(out)) return Number(out);
      if (out === 'true' || out === 'false') return out === 'true';
    }
    return out;
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateEnv(v, env, [...path, k]);
    return out;
  }
  return value;
}

/** Parses file text; YAML is a superset of JSON, so one parser reads both. */
export function parseConfigText(text: string, source: string): unknown {
  try {
    return parseYaml(text);
  } catch (e) {
    throw new ConfigError('(file)', `${source} is not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}`);
  }
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError('(file)', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const config = parseConfig(interpolateEnv(parseConfigText(text, file), env));
  // Relative paths (SQLite file, PEM files) are relative to the config file, not to the working directory.
  const base = dirname(file);
  const looksLikePath = (v: string) => !v.includes('-----BEGIN') && (/\.(pem|crt|cer|key)$/i.test(v) || /^\.\.?\//.test(v));
  const asPath = (v: string): string => (looksLikePath(v) && !isAbsolute(v) ? resolve(base, v) : v);
  for (const p of config.providers) {
    if (p.type !== 'saml') continue;
    if (p.idpCert !== undefined) p.idpCert = Array.isArray(p.idpCert) ? p.idpCert.map(asPath) : asPath(p.idpCert);
    if (p.privateKey !== undefined) p.privateKey = asPath(p.privateKey);
    if (p.publicCert !== undefined) p.publicCert = asPath(p.publicCert);
    if (p.decryptionKey !== undefined) p.decryptionKey = asPath(p.decryptionKey);
    if (p.decryptionCert !== undefined) p.decryptionCert = asPath(p.decryptionCert);
  }
  const conn = config.database.connection as { filename?: unknown } | undefined;
  if (config.database.client === 'sqlite3' && conn && typeof conn.filename === 'string' && conn.filename !== ':memory:' && !isAbsolute(conn.filename)) {
    conn.filename = resolve(base, conn.filename);
  }
  return config;
}
