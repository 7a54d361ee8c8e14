/**
 * Small, strict XML helpers for SAML: a parser that refuses what a SAML message never needs
 * (DTDs, entity tricks, parse errors) and namespace-aware child lookups, so that we never select
 * an element by a prefix or by a document-wide search an attacker can steer.
 */
import { DOMParser } from '@xmldom/xmldom';
import type { Document, Element, Node } from '@xmldom/xmldom';

export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
} as const;

export const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
export const CM_BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

const ELEMENT_NODE = 1;

/** Thrown for anything that is not a well-formed, DTD-free XML document. */
export class XmlParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlParseError';
  }
}

/** Parses a whole document; warnings, errors and DOCTYPEs all reject. */
export function parseXml(xml: string): Document {
  // A DOCTYPE has no place in SAML and is the door to entity-expansion tricks.
  if (/<!DOCTYPE/i.test(xml)) throw new XmlParseError('a DOCTYPE is not allowed');
  let doc: Document;
  try {
    doc = new DOMParser({
      locator: false,
      onError: (level, msg) => {
        throw new XmlParseError(`${level}: ${msg}`);
      },
    }).parseFromString(xml, 'text/xml');
  } catch (e) {
    throw e instanceof XmlParseError ? e : new XmlParseError(e instanceof Error ? e.message : String(e));
  }
  if (!doc.documentElement) throw new XmlParseError('no document element');
  return doc;
}

export function isElement(node: Node | null | undefined): node is Element {
  return node != null && node.nodeType === ELEMENT_NODE;
}

/** Direct element children of `parent` with this namespace and local name. */
export function children(parent: Element, ns: string, localName: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (isElement(n) && n.namespaceURI === ns && n.localName === localName) out.push(n);
  }
  return out;
}

/** The first direct child with this name, or undefined. */
export function child(parent: Element, ns: string, localName: string): Element | undefined {
  return children(parent, ns, localName)[0];
}

/** Every element below `root` (any depth) with this namespace and local name. */
export function descendants(root: Element, ns: string, localName: string): Element[] {
  const out: Element[] = [];
  const walk = (el: Element): void => {
    for (let n = el.firstChild; n; n = n.nextSibling) {
      if (!isElement(n)) continue;
      if (n.namespaceURI === ns && n.localName === localName) out.push(n);
      walk(n);
    }
  };
  walk(root);
  return out;
}

/** An attribute value, or undefined when absent (xmldom returns '' or null depending on version). */
export function attr(el: Element, name: string): string | undefined {
  return el.hasAttribute(name) ? (el.getAttribute(name) ?? undefined) : undefined;
}

/**
 * All the text below an element, comments excluded (DOM `textContent`): a comment splitting a
 * value (`user@evil.com<!---->.example.com`) never truncates it to its first text node.
 */
export function text(el: Element): string {
  return el.textContent ?? '';
}

export function is(el: Element, ns: string, localName: string): boolean {
  return el.namespaceURI === ns && el.localName === localName;
}
