import { parseConfig } from './plugin/config/parse.ts';
import { catalogFrom, createMappingEngines } from './plugin/mapping/index.ts';
const N=10000;
const organizations = Array.from({ length: N }, (_, i) => ({ id: `org-${i}`, roles: ['owner','admin','viewer','member'], groups: ['developers'] }));
const config = parseConfig({ server: { sessionSecret: 'bench-session-secret-0123456789' }, organizations, provisioning: { rules: { default: { organization: "contains(groups, '{{orgId}}')", roles: { expression: "contains(groups, 'admin') && 'admin' || 'member'" } } } } });
const engine = createMappingEngines(config, catalogFrom(config.organizations)).global;
const groups = [...Array.from({length:7},(_, i)=>`org-${i}`), 'admin', ...Array.from({length:25},(_, i)=>`0000${i}-aaaa-bbbb-cccc-dddddddddddd`)];
const claims = { provider:'b', subject:'s', email:'a@b.c', emailOriginal:'a@b.c', emailVerified:true, name:null, givenName:null, familyName:null, groups, groupsOverage:false, raw:{sub:'s', groups} };
const input = { claims, source: 'sso' as const, current: [], email: 'a@b.c' };
for (let r=0;r<8;r++){ const t=process.hrtime.bigint(); for (let k=0;k<300;k++) engine.evaluate(input); console.log('engine us', (Number(process.hrtime.bigint()-t)/1e3/300).toFixed(1)); }
