/**
 * Email domains that route a sign-in to a provider (home-realm discovery). The shape of one
 * domain and the rule that no two providers claim the same one live here, so that the config
 * file and any run-time provider store check them the same way.
 */
import { z } from 'zod';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A domain name such as `example.com`: matched case-insensitively, so written in lower case. */
export const emailDomain = z
  .string()
  .max(253)
  .refine((d) => !d.startsWith('@'), 'a domain name without the @, such as example.com')
  .refine((d) => d === d.toLowerCase(), 'domain names are written in lower case')
  .refine((d) => d.split('.').length >= 2 && d.split('.').every((l) => LABEL.test(l)), 'not a domain name (such as example.com)');

/** The first domain claimed twice, as the key path of the second claim and a message. */
export function findDomainClash(providers: readonly { id: string; domains?: readonly string[] | undefined }[]): { path: string; message: string } | null {
  const owner = new Map<string, string>();
  for (const [i, p] of providers.entries()) {
    for (const [j, domain] of (p.domains ?? []).entries()) {
      const first = owner.get(domain);
      if (first !== undefined) {
        const who = first === p.id ? 'this provider already' : `provider "${first}"`;
        return { path: `providers[${i}].domains[${j}]`, message: `domain "${domain}" is claimed by ${who}` };
      }
      owner.set(domain, p.id);
    }
  }
  return null;
}

/** Why a provider's `discoverableOnly` cannot hold, or null: off the chooser, only its domains reach it. */
export function discoverableOnlyProblem(p: { discoverableOnly?: boolean | undefined; domains?: readonly string[] | undefined }): string | null {
  return p.discoverableOnly && !p.domains?.length ? 'needs domains: a provider off the chooser is reached only through its email domains' : null;
}
