import { describe, expect, test } from 'vitest';
import { parseProxyUrl, stripCredentials } from '../../src/api/proxy-agents.js';
import { proxyFor } from '../../src/api/proxy-from-env.js';
import { UsageError } from '../../src/errors.js';

const P = 'http://proxy.corp:3128';

describe('proxyFor', () => {
  test('the variable of the API URL scheme, either case, lowercase first', () => {
    expect(proxyFor('http://api.example.com', { HTTP_PROXY: P })).toBe(P);
    expect(proxyFor('http://api.example.com', { http_proxy: P, HTTP_PROXY: 'http://other:1' })).toBe(P);
    expect(proxyFor('https://api.example.com', { HTTPS_PROXY: P })).toBe(P);
    expect(proxyFor('https://api.example.com', { HTTP_PROXY: P })).toBeUndefined();
    expect(proxyFor('http://api.example.com', {})).toBeUndefined();
  });

  test.each([
    ['api.example.com', true],
    ['.example.com', true],
    ['*.example.com', true],
    ['example.com', true],
    ['ample.com', false],
    ['api.example.com:80', true],
    ['api.example.com:8080', false],
    ['other.com, api.example.com', true],
    ['*', true],
    ['', false],
  ])('NO_PROXY=%s bypasses http://api.example.com: %s', (noProxy, bypass) => {
    expect(proxyFor('http://api.example.com/x', { HTTP_PROXY: P, NO_PROXY: noProxy })).toBe(bypass ? undefined : P);
    expect(proxyFor('http://api.example.com/x', { HTTP_PROXY: P, no_proxy: noProxy })).toBe(bypass ? undefined : P);
  });

  test('IP addresses, and the flag winning over everything', () => {
    expect(proxyFor('http://127.0.0.1:8080', { HTTP_PROXY: P, NO_PROXY: '127.0.0.1' })).toBeUndefined();
    expect(proxyFor('http://[::1]:8080', { HTTP_PROXY: P, NO_PROXY: '::1' })).toBeUndefined();
    expect(proxyFor('http://127.0.0.1:8080', { NO_PROXY: '*' }, P)).toBe(P);
    expect(proxyFor('http://127.0.0.1:8080', { HTTP_PROXY: P }, 'direct')).toBeUndefined();
    expect(proxyFor('http://127.0.0.1:8080', { HTTP_PROXY: P }, '')).toBeUndefined();
  });
});

describe('proxy URLs', () => {
  test('host:port means http://; other schemes are refused', () => {
    expect(parseProxyUrl('proxy.corp:3128').href).toBe('http://proxy.corp:3128/');
    expect(() => parseProxyUrl('socks5://proxy.corp:1080')).toThrow(UsageError);
  });
  test('credentials never printed', () => {
    expect(stripCredentials('http://me:secret@proxy.corp:3128')).toBe('http://***@proxy.corp:3128');
    expect(() => parseProxyUrl('socks5://me:secret@proxy:1')).toThrow(/socks5:\/\/\*\*\*@proxy/);
  });
});
