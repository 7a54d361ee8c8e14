/**
 * Which XML Encryption algorithms an EncryptedAssertion may use, checked on the raw document before
 * anything is decrypted. The content key travels under RSA-OAEP only: RSA PKCS#1 v1.5 key transport
 * is open to Bleichenbacher-style oracles ("How to break XML Encryption", CCS 2011) and is refused,
 * as are 3DES and anything unknown. The content itself is AES-GCM (preferred: authenticated) or
 * AES-CBC (accepted for older IdPs; a decryption failure of either says nothing about why, so it
 * cannot serve as a padding oracle).
 */
import { XMLSerializer, type Element } from '@xmldom/xmldom';
import { decrypt } from 'xml-encryption';
import { samlReject } from './saml-errors.ts';
import { NS, attr, child, children, descendants, parseXml } from './saml-xml.ts';

const XENC11 = 'http://www.w3.org/2009/xmlenc11#';
const RSA_1_5 = `${NS.xenc}rsa-1_5`;

const DATA_ALGORITHMS = new Set([`${XENC11}aes128-gcm`, `${XENC11}aes256-gcm`, `${NS.xenc}aes128-cbc`, `${NS.xenc}aes256-cbc`]);
const KEY_TRANSPORT = new Set([`${NS.xenc}rsa-oaep-mgf1p`]);
/** OAEP's own digest (not a signature digest: SHA-1 is still sound inside OAEP). */
const OAEP_DIGESTS = new Set(['http://www.w3.org/2000/09/xmldsig#sha1', 'http://www.w3.org/2001/04/xmlenc#sha256', 'http://www.w3.org/2001/04/xmlenc#sha512']);

/** Refuses an EncryptedAssertion whose shape or algorithms we do not decrypt. */
export function checkEncryptedAssertion(encrypted: Element): void {
  const data = children(encrypted, NS.xenc, 'EncryptedData');
  if (data.length !== 1 || !data[0]) throw samlReject('malformed_assertion', 'The EncryptedAssertion must hold exactly one EncryptedData');
  const method = child(data[0], NS.xenc, 'EncryptionMethod');
  const algorithm = method ? attr(method, 'Algorithm') : undefined;
  if (algorithm === undefined || !DATA_ALGORITHMS.has(algorithm)) {
    throw samlReject('weak_encryption_algorithm', `The assertion is encrypted with ${(algorithm ?? '(no algorithm)').slice(0, 120)}; accepted: AES-128/256 in GCM or CBC mode`);
  }
  const keys = descendants(encrypted, NS.xenc, 'EncryptedKey');
  if (keys.length === 0) throw samlReject('malformed_assertion', 'The EncryptedAssertion carries no EncryptedKey for this service provider');
  for (const key of keys) {
    const keyMethod = child(key, NS.xenc, 'EncryptionMethod');
    const transport = keyMethod ? attr(keyMethod, 'Algorithm') : undefined;
    if (transport === RSA_1_5) {
      throw samlReject('weak_encryption_algorithm', 'The assertion key is encrypted with RSA PKCS#1 v1.5, which is refused (padding-oracle attacks); configure the IdP for RSA-OAEP');
    }
    if (transport === undefined || !KEY_TRANSPORT.has(transport)) {
      throw samlReject('weak_encryption_algorithm', `The assertion key is encrypted with ${(transport ?? '(no algorithm)').slice(0, 120)}; accepted: RSA-OAEP (rsa-oaep-mgf1p)`);
    }
    const digest = keyMethod ? child(keyMethod, NS.dsig, 'DigestMethod') : undefined;
    const digestAlgorithm = digest ? attr(digest, 'Algorithm') : undefined;
    if (digestAlgorithm !== undefined && !OAEP_DIGESTS.has(digestAlgorithm)) {
      throw samlReject('weak_encryption_algorithm', `The RSA-OAEP digest ${digestAlgorithm.slice(0, 120)} is not supported (SHA-1, SHA-256, SHA-512)`);
    }
  }
}

/**
 * The decrypted assertion, for checks of what was hidden inside it (its signature's algorithms);
 * never a source of identity, which comes from node-saml's verified copy only.
 */
export async function decryptForInspection(encrypted: Element, keyPem: string): Promise<Element> {
  const failed = (cause?: unknown) => samlReject('decryption_failed', "The encrypted SAML assertion could not be decrypted with this provider's decryptionKey", cause);
  const xml = new XMLSerializer().serializeToString(encrypted);
  let root: Element | null;
  try {
    const plain = await new Promise<string>((resolve, reject) => decrypt(xml, { key: keyPem }, (e, out) => (e ? reject(e) : resolve(out))));
    root = parseXml(plain).documentElement;
  } catch (e) {
    throw failed(e);
  }
  if (!root) throw failed();
  return root;
}
