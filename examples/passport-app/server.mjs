// An Express app that signs its users in through Gatehouse with Passport (docs/library.md).
// Run: GATEHOUSE_CONFIG=gatehouse.yaml SESSION_SECRET=... PORT=4000 node server.mjs
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { createGatehouse, loadConfigFile } from 'gatehouse';

const config = loadConfigFile(process.env.GATEHOUSE_CONFIG ?? 'gatehouse.yaml');
const gh = await createGatehouse(config);
for (const { id } of gh.providers()) passport.use(gh.strategy(id));
passport.serializeUser(gh.serializeUser);
passport.deserializeUser(gh.deserializeUser);

const app = express();
app.set('trust proxy', 'loopback');
app.use(session({ secret: process.env.SESSION_SECRET ?? 'change-me-to-a-long-random-string', resave: false, saveUninitialized: false }));
app.use(passport.session());

// Sign-in: GET /auth/:provider/login starts at the IdP; the IdP comes back to /auth/:provider/callback.
app.get('/auth/:provider/login', (req, res, next) => passport.authenticate(req.params.provider)(req, res, next));
app.all(
  '/auth/:provider/callback',
  (req, res, next) => passport.authenticate(req.params.provider, { failureRedirect: '/denied', failureMessage: true })(req, res, next),
  (req, res) => res.redirect(req.user.status === 'pending_approval' ? '/auth/waiting-room' : '/'),
);
app.post('/auth/logout', (req, res, next) => req.logout((err) => (err ? next(err) : res.redirect('/'))));

// What Gatehouse serves, each only because this app asks for it.
app.use(gh.metadata()); // GET /auth/:provider/metadata (SAML SP metadata)
app.use(gh.waitingRoom()); // GET /auth/waiting-room
if (config.scim.enabled) app.use(gh.scim()); // SCIM 2.0 at scim.basePath
app.use('/admin', gh.admin()); // admin API and console, for instance admins

// The app's own pages.
app.get('/', (req, res) => res.json({ user: req.user ?? null }));
app.get('/denied', (req, res) => res.status(403).json({ messages: req.session.messages ?? [] }));
app.get('/me', gh.requireUser(), (req, res) => res.json(req.user));
app.get('/orders', gh.requireRole('acme-corp', 'admin'), (req, res) => res.json({ orders: [], for: req.user.email }));
app.get('/reports', gh.requireGroup('acme-corp', 'developers'), (req, res) => res.json({ reports: [] }));

const server = app.listen(Number(process.env.PORT ?? 4000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
const stop = () => server.close(() => gh.close().then(() => process.exit(0)));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
