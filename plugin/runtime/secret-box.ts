/**
 * Secrets at rest (OIDC client secrets, SAML SP signing and decryption keys): AES-256-GCM under keys from the config
 * (`secrets.encryptionKey`, a string or a list: the first seals, all open). Each ciphertext names
 * the id of its key, so a rotation adds the new key first and keeps the old one until
 * `gatehouse secrets rotate` has sealed everything again. The provider id and field name are the
 * additional data: a ciphertext copied onto another provider or field does not open.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { GatehouseError } from '../errors.ts';

const FORMAT = 'v1';
const INFO = 'gatehouse provider secrets';

/** The config key an operator sets; named in every refusal. */
export const ENCRYPTION_KEY_SETTING = 'secrets.encryptionKey';

interface Key {
  id: string;
  bytes: Buffer;
}

function deriveKey(material: string): Key {
  const bytes = Buffer.from(hkdfSync('sha256', Buffer.from(material, 'utf8'), Buffer.alloc(0), INFO, 32));
  // The id says which key sealed a value without saying anything about the key itself.
  const id = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
  return { id, bytes };
}

const b64 = (b: Buffer) => b.toString('base64url');

export interface SecretBox {
  /** Whether a key is configured (without one, nothing can be sealed). */
  readonly enabled: boolean;
  /** The id of the key that seals new values. */
  readonly currentKeyId: string | null;
  seal(plaintext: string, context: string): string;
  open(ciphertext: string, context: string): string;
  /** The key id a ciphertext names. */
  keyIdOf(ciphertext: string): string | null;
}

export function createSecretBox(materials: readonly string[]): SecretBox {
  const keys = materials.map(deriveKey);
  const byId = new Map(keys.map((k) => [k.id, k]));
  const first = keys[0];
  return {
    enabled: first !== undefined,
    currentKeyId: first?.id ?? null,
    seal(plaintext, context) {
      if (!first) {
        throw new GatehouseError('ERR_VALIDATION', `a secret cannot be stored: set ${ENCRYPTION_KEY_SETTING} in the config (or GATEHOUSE_ENCRYPTION_KEY) first`, {
          details: { field: ENCRYPTION_KEY_SETTING },
        });
      }
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', first.bytes, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [FORMAT, first.id, b64(iv), b64(ct), b64(cipher.getAuthTag())].join('.');
    },
    open(ciphertext, context) {
      const [format, kid, iv, ct, tag] = ciphertext.split('.');
      if (format !== FORMAT || !kid || iv === undefined || ct === undefined || tag === undefined) throw new Error('not a sealed secret');
      const key = byId.get(kid);
      if (!key) throw new Error(`sealed with key ${kid}, which ${ENCRYPTION_KEY_SETTING} no longer lists`);
      const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
    },
    keyIdOf(ciphertext) {
      const [format, kid] = ciphertext.split('.');
      return format === FORMAT && kid ? kid : null;
    },
  };
}
