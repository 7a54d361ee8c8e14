/**
 * Validates user config once, at start, and reports the first problems with their key path.
 */
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { discoverableOnlyProblem, findDomainClash } from './domains.ts';
import { configSchema, type ResolvedConfig } from './schema.ts';

/** Renders a zod issue path as `providers[1].issuer`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

function firstIssue(error: z.ZodError): ConfigError {
  const issue = error.issues[0];
  if (issue === undefined) return new ConfigError('(root)', 'invalid config');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') message = `unknown key(s): ${issue.keys.join(', ')}`;
  return new ConfigError(formatPath(issue.path), message);
}

/**
 * Structural validation and defaults, then the checks across entries (unique provider and
 * organization ids, email domains claimed once); the mapping engines check roles and JMESPath
 * when they are built at start.
 */
export function parseConfig(input: unknown): ResolvedConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) throw firstIssue(result.error);
  const config = result.data;
  const seen = new Set<string>();
  config.providers.forEach((p, i) => {
    if (seen.has(p.id)) throw new ConfigError(`providers[${i}].id`, `duplicate provider id "${p.id}"`);
    seen.add(p.id);
  });
  const orgs = new Set<string>();
  config.organizations.forEach((o, i) => {
    if (orgs.has(o.id)) throw new ConfigError(`organizations[${i}].id`, `duplicate organization id "${o.id}"`);
    orgs.add(o.id);
  });
  config.providers.forEach((p, i) => {
    if (p.organization !== undefined && !orgs.has(p.organization)) {
      throw new ConfigError(`providers[${i}].organization`, `unknown organization "${p.organization}"`);
    }
    const offChooser = discoverableOnlyProblem(p);
    if (offChooser) throw new ConfigError(`providers[${i}].discoverableOnly`, offChooser);
  });
  const clash = findDomainClash(config.providers);
  if (clash) throw new ConfigError(clash.path, clash.message);
  return config;
}
