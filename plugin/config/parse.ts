/**
 * Validates user config once, at start, and reports the first problems with their key path.
 */
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { configSchema, type ResolvedConfig } from './schema.ts';

/** The first `domains` entry that a provider claims after an earlier one did (one provider per email domain). */
export function domainConflict(providers: readonly { id: string; domains?: string[] | undefined }[]): { index: number; domainIndex: number; message: string } | null {
  const owner = new Map<string, string>();
  for (const [index, p] of providers.entries()) {
    for (const [domainIndex, d] of (p.domains ?? []).entries()) {
      const other = owner.get(d);
      if (other !== undefined && other !== p.id) return { index, domainIndex, message: `domain "${d}" is claimed by provider "${other}" already` };
      owner.set(d, p.id);
    }
  }
  return null;
}

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
 * organization ids); the mapping engines check roles and JMESPath when they are built at start.
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
  const conflict = domainConflict(config.providers);
  if (conflict) throw new ConfigError(`providers[${conflict.index}].domains[${conflict.domainIndex}]`, conflict.message);
  config.providers.forEach((p, i) => {
    if (p.organization !== undefined && !orgs.has(p.organization)) {
      throw new ConfigError(`providers[${i}].organization`, `unknown organization "${p.organization}"`);
    }
  });
  return config;
}
