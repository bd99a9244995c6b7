import { describe, expect, it } from 'vitest';
import { parseConfigFile, resolveConfig } from './config.js';

const env = { XDG_DATA_HOME: '/data', XDG_RUNTIME_DIR: '/run/user/1000' };

/** Passes when `run` throws INVALID_REQUEST naming `field`. */
const refuses = (run: () => unknown, field: string) =>
  expect(run).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST', details: { field } }));

describe('daemon configuration', () => {
  it('builds the simple case from flags alone, with XDG defaults', () => {
    expect(resolveConfig({}, { server: 'http://127.0.0.1:8080/' }, env)).toEqual({
      dataDir: '/data/fosspush',
      socketPath: '/run/user/1000/fosspush/daemon.sock',
      accounts: [{ id: 'default', type: 'push-server', url: 'http://127.0.0.1:8080', transport: 'auto' }],
      defaultAccount: 'default',
      logLevel: 'info',
    });
  });

  it('reads a config file, resolving paths against its folder, and lets flags override it', () => {
    const file = parseConfigFile(
      JSON.stringify({
        dataDir: 'state',
        defaultAccount: 'mail',
        accounts: [
          { id: 'home', type: 'push-server', url: 'https://push.example.org', transport: 'sse' },
          { id: 'mail', type: 'email', options: { address: 'me@example.org' } },
        ],
        maxQueuedPerApp: 50,
      }),
      '/etc/fosspush/fosspushd.json',
    );
    expect(file.dataDir).toBe('/etc/fosspush/state');
    const config = resolveConfig(file, { socket: '/tmp/x.sock', logLevel: 'debug' }, env);
    expect(config).toMatchObject({ dataDir: '/etc/fosspush/state', socketPath: '/tmp/x.sock', defaultAccount: 'mail', logLevel: 'debug', maxQueuedPerApp: 50 });
    expect(config.accounts.map((a) => a.id)).toEqual(['home', 'mail']);
  });

  it('refuses bad settings with the field named', () => {
    refuses(() => resolveConfig({}, {}, env), 'accounts');
    refuses(() => resolveConfig({}, { server: 'ftp://x' }, env), 'server');
    refuses(() => resolveConfig({}, { server: 'http://x', transport: 'pigeon' }, env), 'transport');
    refuses(() => parseConfigFile('{"acounts":[]}', 'f.json'), 'acounts');
    refuses(() => parseConfigFile('{"accounts":[{"id":"a b","type":"email","options":{}}]}', 'f.json'), 'accounts[0].id');
    refuses(() => parseConfigFile('{"accounts":[{"id":"a","type":"pigeon"}]}', 'f.json'), 'accounts[0].type');
    refuses(() => parseConfigFile('{"accounts":[{"id":"a","type":"xmpp","jid":"alice"}]}', 'f.json'), 'accounts[0].jid');
    refuses(() => parseConfigFile('{"accounts":[{"id":"a","type":"xmpp","jid":"a@b","password":"p","passwordFile":"f"}]}', 'f.json'), 'accounts[0].password');
    refuses(() => parseConfigFile('{"accounts":[{"id":"a","type":"xmpp","jid":"a@b","password":"p","port":70000}]}', 'f.json'), 'accounts[0].port');
    refuses(() => parseConfigFile('{"accounts":[{"id":"a","type":"xmpp","jid":"a@b","password":"p","caFile":7}]}', 'f.json'), 'accounts[0].caFile');
    refuses(() => parseConfigFile('{"accounts":[{"id":"a","type":"xmpp","jid":"a@b","password":"p","directTls":"yes"}]}', 'f.json'), 'accounts[0].directTls');
    expect(parseConfigFile('{"accounts":[{"id":"a","type":"xmpp","jid":"a@b","password":"p","directTls":true,"caFile":"ca.pem"}]}', '/etc/fosspush/f.json').accounts).toEqual([
      { id: 'a', type: 'xmpp', jid: 'a@b', password: 'p', directTls: true, caFile: '/etc/fosspush/ca.pem' },
    ]);
    expect(parseConfigFile('{"accounts":[{"id":"a","type":"xmpp","jid":"a@b","passwordFile":"pw"}]}', '/etc/fosspush/f.json').accounts).toEqual([
      { id: 'a', type: 'xmpp', jid: 'a@b', passwordFile: '/etc/fosspush/pw' },
    ]);
    refuses(() => parseConfigFile('{"logLevel":"loud"}', 'f.json'), 'logLevel');
    const twice = parseConfigFile('{"accounts":[{"id":"a","type":"push-server","url":"http://x"},{"id":"a","type":"push-server","url":"http://y"}]}', 'f.json');
    refuses(() => resolveConfig(twice, {}, env), 'accounts');
    refuses(() => resolveConfig({ ...twice, accounts: twice.accounts?.slice(0, 1), defaultAccount: 'zz' }, {}, env), 'defaultAccount');
    expect(() => parseConfigFile('{not json', 'f.json')).toThrow(/f.json is not valid JSON/);
    refuses(() => parseConfigFile('{"requireVapid":"yes"}', 'f.json'), 'requireVapid');
  });

  it('takes requireVapid from the file, and the --require-vapid flag over it', () => {
    const file = parseConfigFile('{"requireVapid":true,"accounts":[{"id":"a","type":"push-server","url":"http://[::1]:8080"}]}', 'f.json');
    expect(resolveConfig(file, {}, env)).toMatchObject({ requireVapid: true, accounts: [{ url: 'http://[::1]:8080' }] });
    expect(resolveConfig(file, { requireVapid: false }, env).requireVapid).toBe(false);
    expect(resolveConfig({}, { server: 'http://x' }, env)).not.toHaveProperty('requireVapid');
  });
});

describe('the unifiedpush section', () => {
  const accounts = [{ id: 'home', type: 'push-server', url: 'https://push.example' }];
  const parse = (unifiedpush: unknown) => parseConfigFile(JSON.stringify({ accounts, unifiedpush }), '/etc/fosspushd.json');

  it('passes its settings to the daemon', () => {
    const file = parse({ enabled: true, name: 'fosspush2', account: 'home', requireVapid: true, redeliveryIntervalMs: 5000 });
    expect(resolveConfig(file, {}, env).unifiedpush).toEqual({ enabled: true, name: 'fosspush2', account: 'home', requireVapid: true, redeliveryIntervalMs: 5000 });
    expect(resolveConfig(parseConfigFile(JSON.stringify({ accounts }), '/x.json'), {}, env).unifiedpush).toBeUndefined();
  });

  it('refuses bad settings with the field named', () => {
    refuses(() => parse('yes'), 'unifiedpush');
    refuses(() => parse({ enabled: 'sometimes' }), 'unifiedpush.enabled');
    refuses(() => parse({ name: 'has.dots' }), 'unifiedpush.name');
    refuses(() => parse({ requireVapid: 1 }), 'unifiedpush.requireVapid');
    refuses(() => parse({ colour: 'blue' }), 'unifiedpush.colour');
    refuses(() => resolveConfig(parse({ account: 'work' }), {}, env), 'unifiedpush.account');
  });
});
