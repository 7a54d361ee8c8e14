/** The logger every part of Gatehouse writes to: pino, with secrets redacted whatever a caller passes in. */
import pino, { type Logger } from 'pino';

/** A pino logger at `level` that never prints secrets (tokens, cookies, client secrets, SAML responses). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        '*.clientSecret',
        '*.secret',
        '*.sessionSecret',
        '*.token',
        '*.password',
        '*.privateKey',
        'SAMLResponse',
        '*.SAMLResponse',
        'code',
        '*.code_verifier',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
