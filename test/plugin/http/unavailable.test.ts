/**
 * The one classification of "a dependency is down": driver and client errors that mean the
 * database or Redis cannot be reached, and nothing else (a bad request, a bug, a refused login).
 */
import { describe, expect, it } from 'vitest';
import { ClientClosedError, ClientOfflineError, ErrorReply, SocketClosedUnexpectedlyError, TimeoutError } from 'redis';
import { GatehouseError } from '../../../plugin/errors.ts';
import { dependencyOf, isDependencyDown } from '../../../plugin/http/unavailable.ts';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('isDependencyDown', () => {
  it.each([
    ['ECONNREFUSED', coded('ECONNREFUSED')],
    ['ECONNRESET', coded('ECONNRESET')],
    ['ETIMEDOUT', coded('ETIMEDOUT')],
    ['mysql PROTOCOL_CONNECTION_LOST', coded('PROTOCOL_CONNECTION_LOST', 'Connection lost: The server closed the connection.')],
    ['pg admin shutdown 57P01', coded('57P01', 'terminating connection due to administrator command')],
    ['pg too many connections 53300', coded('53300')],
    ['SQLITE_BUSY', coded('SQLITE_BUSY', 'database is locked')],
    ['knex pool timeout', Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full.'), { name: 'KnexTimeoutError' })],
    ['pg connection terminated', new Error('Connection terminated unexpectedly')],
    ['an AggregateError of refused connects', Object.assign(new AggregateError([coded('ECONNREFUSED')], 'connect failed'))],
    ['a wrapped cause', new Error('query failed', { cause: coded('ECONNRESET') })],
  ])('database: %s', (_name, err) => {
    expect(isDependencyDown(err)).toBe(true);
    expect(dependencyOf(err)).toBe('database');
  });

  it.each([
    ['ClientOfflineError', new ClientOfflineError()],
    ['ClientClosedError', new ClientClosedError()],
    ['SocketClosedUnexpectedlyError', new SocketClosedUnexpectedlyError()],
    ['TimeoutError', new TimeoutError()],
    ['ERR_UNAVAILABLE naming Redis', new GatehouseError('ERR_UNAVAILABLE', 'down', { details: { dependency: 'redis' } })],
  ])('redis: %s', (_name, err) => {
    expect(isDependencyDown(err)).toBe(true);
    expect(dependencyOf(err)).toBe('redis');
  });

  it.each([
    ['a plain bug', new TypeError('x is undefined')],
    ['a unique violation', coded('23505', 'duplicate key value')],
    ['a Redis error reply', new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value')],
    ['a refused login', new GatehouseError('ERR_POLICY_REJECTED', 'no')],
    ['a refused login caused by a network error (the IdP, not ours)', new GatehouseError('ERR_INVALID_ASSERTION', 'idp', { cause: coded('ECONNREFUSED') })],
    ['not an error', 'ECONNREFUSED'],
    ['null', null],
  ])('not a dependency outage: %s', (_name, err) => {
    expect(isDependencyDown(err)).toBe(false);
  });
});
