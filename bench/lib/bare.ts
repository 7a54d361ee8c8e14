/**
 * The baseline for the login benchmark: the same rows a Gatehouse login writes, written with
 * plain knex in one transaction, the way one would write it by hand for this one setup, with no
 * Gatehouse code on the path.
 *
 * Same tables, indexes, columns and row counts (user, identity with its last claims, the missing
 * memberships, one audit row, one outbox row). What it leaves out is what a hand-written login
 * for one fixed setup can skip: the mapping engine (the membership rows are given, computed
 * once), the run-time FirstLoginPolicy setting, the lookup of the firing webhook endpoints (the
 * endpoint id is given), re-reads after writes, and the retry wrapper.
 *
 * Statements per login (plus BEGIN/COMMIT): first login 8 (identity+user join, user by email,
 * insert user, insert identity, memberships, insert memberships, audit, outbox); repeat login 5
 * (join, touch identity, memberships, audit, outbox). The join locks the rows it reads (FOR
 * UPDATE, except on SQLite), as Gatehouse locks the user row.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { dialectOf } from '../../adapters/store/dialect.ts';
import type { Claims } from '../../plugin/types.ts';

export interface MembershipTemplate {
  organization: string;
  kind: 'role' | 'group';
  name: string;
  source: string;
  mapper: string | null;
}

export interface BareDeps {
  knex: Knex;
  prefix: string;
  /** The memberships the mapping grants for the benchmark's token. */
  memberships: readonly MembershipTemplate[];
  /** The `every_login` endpoint the outbox row is for; null writes no outbox row (no webhooks feature). */
  endpointId: string | null;
  now?: () => number;
}

type Row = Record<string, unknown>;

const key = (organization: unknown, kind: unknown, name: unknown, source: unknown) => `${String(organization)}\u0000${String(kind)}\u0000${String(name)}\u0000${String(source)}`;

export function createBareLogin(deps: BareDeps): (claims: Claims) => Promise<{ userId: string; created: boolean }> {
  const { knex, prefix } = deps;
  const now = deps.now ?? Date.now;
  const users = `${prefix}users`;
  const identities = `${prefix}identities`;
  const memberships = `${prefix}memberships`;
  const audit = `${prefix}audit`;
  const events = `${prefix}webhook_events`;
  const locking = dialectOf(knex) !== 'sqlite';

  return (claims) =>
    knex.transaction(async (trx) => {
      const at = now();
      const lastClaims = JSON.stringify(claims);
      const q = trx(`${identities} as i`)
        .join(`${users} as u`, 'u.id', 'i.user_id')
        .where({ 'i.provider': claims.provider, 'i.subject': claims.subject })
        .first('i.id as identity_id', 'u.id', 'u.email', 'u.user_name', 'u.status');
      // Concurrent logins of one user take turns, as in Gatehouse (SQLite has one writer anyway).
      if (locking) q.forUpdate();
      const found = (await q) as Row | undefined;

      let userId: string;
      let email: string | null;
      let userName: string | null;
      let created = false;
      if (found) {
        if (found.status !== 'active') throw new Error(`user ${String(found.id)} is ${String(found.status)}`);
        userId = String(found.id);
        email = found.email === null ? null : String(found.email);
        userName = found.user_name === null || found.user_name === undefined ? null : String(found.user_name);
        await trx(identities).where({ id: found.identity_id }).update({ last_login_at: at, last_claims: lastClaims });
      } else {
        // An existing user with this email would be linked; the benchmark never has one.
        if (claims.email !== null && (await trx(users).where({ email: claims.email }).first('id'))) throw new Error('email taken');
        userId = randomUUID();
        email = claims.email;
        userName = claims.email;
        created = true;
        await trx(users).insert({
          id: userId,
          instance_admin: false,
          email: claims.email,
          email_original: claims.emailOriginal,
          // As Gatehouse: an SSO-created user's SCIM userName is its email.
          user_name: claims.email,
          given_name: claims.givenName,
          family_name: claims.familyName,
          display_name: claims.name,
          status: 'active',
          created_at: at,
          updated_at: at,
          version: 1,
        });
        await trx(identities).insert({
          id: randomUUID(),
          user_id: userId,
          provider: claims.provider,
          subject: claims.subject,
          email: claims.email,
          created_at: at,
          last_login_at: at,
          last_claims: lastClaims,
        });
      }

      const current = (await trx(memberships).where({ user_id: userId }).select('organization_id', 'kind', 'name', 'source')) as Row[];
      const have = new Set(current.map((m) => key(m.organization_id, m.kind, m.name, m.source)));
      const missing = deps.memberships.filter((m) => !have.has(key(m.organization, m.kind, m.name, m.source)));
      if (missing.length) {
        await trx(memberships).insert(
          missing.map((m) => ({
            id: randomUUID(),
            user_id: userId,
            organization_id: m.organization,
            kind: m.kind,
            name: m.name,
            source: m.source,
            mapper: m.mapper,
            created_at: at,
          })),
        );
      }

      await trx(audit).insert({
        at,
        action: 'login',
        outcome: created ? 'created' : 'success',
        actor: `idp:${claims.provider}`,
        provider: claims.provider,
        subject: claims.subject,
        user_id: userId,
        reason: null,
        details: JSON.stringify({ added: missing.map((m) => `${m.organization}:${m.kind}:${m.name}`), removed: [] }),
      });

      if (deps.endpointId === null) return { userId, created };
      const body = JSON.stringify({
        type: 'every_login',
        timestamp: new Date(at).toISOString(),
        data: { user: { id: userId, email, username: userName ?? email }, provider: claims.provider, groups: [...claims.groups], custom_payload: {} },
      });
      await trx(events).insert({
        id: `msg_${randomUUID().replace(/-/g, '')}`,
        endpoint_id: deps.endpointId,
        type: 'every_login',
        body,
        user_id: userId,
        status: 'pending',
        attempts: 0,
        round_start: 0,
        next_attempt_at: at,
        created_at: at,
      });
      return { userId, created };
    });
}
