/**
 * A browser's trip through the test IdPs (the real oidc-provider and the SAML IdP), from an app's
 * login start to the app's callback: the gateway harness and the library tests drive the same
 * pages, whatever app is in front.
 */
import { parseForm, type Agent, type AgentResponse } from './agent.ts';

/** The password of every test IdP user. */
export const IDP_PASSWORD = 'pw';

/** OIDC: from `startUrl` through the IdP's login form, up to (not into) the redirect to a URL under `callbackPrefix`: returns that URL. */
export async function oidcCallbackThrough(agent: Agent, startUrl: string, callbackPrefix: string, username: string): Promise<string> {
  const start = await agent.get(startUrl);
  if (start.status !== 302 || !start.location) throw new Error(`login start answered ${start.status}`);
  let res = await agent.get(start.location);
  for (let i = 0; i < 10 && res.status >= 300 && res.status < 400 && res.location; i++) res = await agent.get(res.location);
  const form = parseForm(res.text, res.url, (inner) => inner.includes('name="password"'));
  res = await agent.postForm(form.action, { ...form.fields, username, password: IDP_PASSWORD });
  for (let i = 0; i < 15 && res.location; i++) {
    if (res.location.startsWith(callbackPrefix)) return res.location;
    res = await agent.get(res.location);
  }
  throw new Error(`never reached the callback (last status ${res.status})`);
}

/** OIDC: the whole trip; returns the app's answer at its callback. */
export async function loginThroughOidc(agent: Agent, startUrl: string, callbackPrefix: string, username: string): Promise<AgentResponse> {
  return agent.get(await oidcCallbackThrough(agent, startUrl, callbackPrefix, username));
}

/** SAML: from `startUrl` through the IdP's form; returns the SAMLResponse form the browser would post to the ACS. */
export async function samlResponseThrough(agent: Agent, startUrl: string, username: string): Promise<{ acs: string; fields: Record<string, string> }> {
  const start = await agent.get(startUrl);
  if (start.status !== 302 || !start.location) throw new Error(`login start answered ${start.status}`);
  const pageRes = await agent.get(start.location);
  const form = parseForm(pageRes.text, pageRes.url, (inner) => inner.includes('name="username"'));
  const posted = await agent.postForm(form.action, { ...form.fields, username, password: IDP_PASSWORD });
  const auto = parseForm(posted.text, posted.url, (inner) => inner.includes('SAMLResponse'));
  return { acs: auto.action, fields: auto.fields };
}

/** SAML: the whole trip; returns the app's answer at the ACS. */
export async function loginThroughSaml(agent: Agent, startUrl: string, username: string): Promise<AgentResponse> {
  const { acs, fields } = await samlResponseThrough(agent, startUrl, username);
  return agent.postForm(acs, fields);
}
