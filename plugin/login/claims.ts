/**
 * Normalizes what an IdP adapter verified into Claims (contract section 3). Claim paths are
 * JMESPath into the raw claims, compiled once at start; a SAML attribute name or URI that is
 * not valid JMESPath (e.g. `http://schemas.xmlsoap.org/.../emailaddress`) is a literal key.
 */
import { compile, TreeInterpreter } from '@jmespath-community/jmespath';
import type { ProviderConfig } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';
import type { VerifiedAssertion } from '../ports.ts';
import type { Claims } from '../types.ts';

type Field = 'email' | 'emailVerified' | 'name' | 'givenName' | 'familyName' | 'groups';

const AZURE = {
  email: [
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
    'http://schemas.xmlsoap.org/claims/EmailAddress',
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
    'urn:oid:0.9.2342.19200300.100.1.3',
  ],
  givenName: ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname', 'urn:oid:2.5.4.42'],
  familyName: ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname', 'urn:oid:2.5.4.4'],
  name: [
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
    'http://schemas.microsoft.com/identity/claims/displayname',
    'urn:oid:2.16.840.1.113730.3.1.241',
  ],
  groups: [
    'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups',
    'http://schemas.xmlsoap.org/claims/Group',
    'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
  ],
} as const;

/** Defaults tried in order when the provider does not configure a path. */
const DEFAULTS: Record<'oidc' | 'saml', Record<Field, readonly string[]>> = {
  oidc: {
    email: ['email'],
    emailVerified: ['email_verified'],
    name: ['name'],
    givenName: ['given_name'],
    familyName: ['family_name'],
    groups: ['groups'],
  },
  saml: {
    email: ['email', 'mail', 'emailAddress', ...AZURE.email, 'nameID'],
    emailVerified: ['email_verified'],
    name: ['displayName', 'name', ...AZURE.name],
    givenName: ['givenName', 'firstName', ...AZURE.givenName],
    familyName: ['sn', 'surname', 'familyName', 'lastName', ...AZURE.familyName],
    groups: ['groups', 'memberOf', 'Group', ...AZURE.groups],
  },
};

type Getter = (raw: Record<string, unknown>) => unknown;

function literalKey(key: string): Getter {
  return (raw) => raw[key];
}

/** Compiles a claim path: a literal attribute name first, JMESPath otherwise. */
export function compileClaimPath(path: string, keyPath: string): Getter {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(path)) return literalKey(path);
  let ast: ReturnType<typeof compile>;
  try {
    ast = compile(path);
  } catch (e) {
    if (/[:/]/.test(path)) return literalKey(path);
    throw new ConfigError(keyPath, `invalid JMESPath "${path}": ${(e as Error).message}`);
  }
  return (raw) => {
    if (Object.prototype.hasOwnProperty.call(raw, path)) return raw[path];
    try {
      return TreeInterpreter.search(ast, raw as never);
    } catch {
      return undefined;
    }
  };
}

function firstString(v: unknown): string | null {
  if (typeof v === 'string') return v.trim() === '' ? null : v.trim();
  if (Array.isArray(v)) for (const x of v) if (typeof x === 'string' && x.trim() !== '') return x.trim();
  return null;
}

function toBool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return /^(true|1|yes)$/i.test(v.trim());
  if (Array.isArray(v)) return toBool(v[0]);
  return null;
}

function toGroups(v: unknown): string[] {
  const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  const out: string[] = [];
  for (const x of list) {
    if (typeof x === 'string' && x !== '') out.push(x);
    else if (typeof x === 'number') out.push(String(x));
  }
  return [...new Set(out)];
}

function hasOverage(raw: Record<string, unknown>): boolean {
  const names = raw._claim_names;
  if (names && typeof names === 'object' && 'groups' in names) return true;
  return raw.hasgroups === true || raw.hasgroups === 'true';
}

export type ClaimsNormalizer = (assertion: VerifiedAssertion) => Claims;

/** Builds the normalizer for one provider, validating its claim paths (at start). */
export function createClaimsNormalizer(provider: ProviderConfig, index: number): ClaimsNormalizer {
  const defaults = DEFAULTS[provider.type];
  const getters = {} as Record<Field, Getter[]>;
  for (const field of Object.keys(defaults) as Field[]) {
    const configured = provider.claims[field];
    getters[field] =
      configured !== undefined
        ? [compileClaimPath(configured, `providers[${index}].claims.${field}`)]
        : defaults[field].map((p) => literalKey(p));
  }
  const subjectGetter =
    provider.claims.subject !== undefined ? compileClaimPath(provider.claims.subject, `providers[${index}].claims.subject`) : null;
  const pick = (field: Field, raw: Record<string, unknown>): unknown => {
    for (const g of getters[field]) {
      const v = g(raw);
      if (v !== undefined && v !== null) return v;
    }
    return undefined;
  };
  // SAML IdPs rarely send email_verified; their assertions are signed by the organization's IdP.
  const trustEmail = provider.trustEmail ?? provider.type === 'saml';

  return (assertion) => {
    const raw = assertion.raw;
    const subject = subjectGetter ? firstString(subjectGetter(raw)) : assertion.subject;
    let emailOriginal = firstString(pick('email', raw));
    if (emailOriginal !== null && !emailOriginal.includes('@')) emailOriginal = null;
    const verifiedClaim = toBool(pick('emailVerified', raw));
    const givenName = firstString(pick('givenName', raw));
    const familyName = firstString(pick('familyName', raw));
    const joined = [givenName, familyName].filter((x) => x !== null).join(' ');
    return {
      provider: provider.id,
      subject: subject ?? assertion.subject,
      email: emailOriginal === null ? null : emailOriginal.toLowerCase(),
      emailOriginal,
      emailVerified: emailOriginal !== null && (verifiedClaim ?? trustEmail),
      name: firstString(pick('name', raw)) ?? (joined === '' ? null : joined),
      givenName,
      familyName,
      groups: toGroups(pick('groups', raw)),
      groupsOverage: hasOverage(raw),
      raw,
    };
  };
}
