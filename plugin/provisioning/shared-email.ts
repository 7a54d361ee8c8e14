/**
 * Emails are not unique: several users may share one (RFC 7643 makes `userName` a SCIM User's
 * only unique attribute, and IdPs provision shared addresses). Wherever Gatehouse finds a user by
 * email (an SSO login matching a pre-provisioned user, explain, the CLI), an email that several
 * users hold must never resolve to one of them picked silently: the lookup refuses with this
 * error (docs/login-flow.md says how an admin resolves it).
 */
import { GatehouseError } from '../errors.ts';

/** The audit `reason` of a login refused because its email matches several users. */
export const SHARED_EMAIL_REASON = 'email_shared_by_several_users';

/** How many of the users sharing an email a lookup reads (and the audit row names). */
export const SHARED_EMAIL_ID_LIMIT = 10;

/**
 * The refusal of a lookup by `emailLower` that matched several users (`userIds`, sorted, at most
 * SHARED_EMAIL_ID_LIMIT of them): 403 ERR_EMAIL_CONFLICT, the ids in its audit details.
 */
export function sharedEmailError(emailLower: string, userIds: readonly string[]): GatehouseError {
  return new GatehouseError(
    'ERR_EMAIL_CONFLICT',
    `Several accounts here use the email ${emailLower}, so this sign-in cannot be matched to one of them. Ask your administrator to resolve it.`,
    { details: { reason: SHARED_EMAIL_REASON, userIds: [...userIds].sort() } },
  );
}
