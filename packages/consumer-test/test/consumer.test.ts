/**
 * The consumer test (issue #13): everything a user does outside this repository, from the packed
 * tarballs only. `pnpm release:pack` writes them to a scratch folder; npm installs them in
 * scratch projects there, next to nothing of the workspace; npm and pnpm fetch the third-party
 * dependencies from the registry. Then: the commands are on PATH after `npm install -g`, a
 * sender-only and a client-only install stay lean, the shipped types check under TypeScript
 * 5.5 to 5.9 without DOM or skipLibCheck, and the guides' examples, extracted verbatim from
 * docs/, run against a real fosspush-server and a real fosspushd installed from the tarballs.
 *
 * The steps build on each other (installed commands, a compiled app, a token), so they run in
 * order in one file.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readExamples } from '../src/docs-examples.js';
import { diskUsageBytes, installedPackages, readTarballs, run, Service, type Tarball, tarballClosure } from '../src/scratch.js';
import { repoRoot } from '../src/workspace.js';

const fixtures = join(repoRoot, 'packages/consumer-test/fixtures');
/** What a Web Push-only sender, or an app, must never install (issue #13, item 3). */
const HEAVY = ['imapflow', 'nodemailer', 'better-sqlite3', 'ioredis', 'openpgp', 'pino'];
const CLIENT_ONLY_LIMIT_BYTES = 5 * 1024 * 1024;
const TYPESCRIPT_VERSIONS = ['5.5', '5.6', '5.7', '5.8', '5.9'];

/**
 * The guides' examples, and what each leaves to the reader (imported from fixtures/harness.ts:
 * the app's own API, the token its server stored...) and what an app-server example ends with.
 */
const EXAMPLES: Record<string, { uses: string[]; report?: string[] }> = {
  'migrating/gcm-app': { uses: ['APP_SERVER_VAPID_PUBLIC_KEY', 'api', 'showNotification', 'syncEverything', 'retryLater'] },
  'migrating/gcm-app-server': { uses: ['vapidKeys', 'token'], report: ['response'] },
  'migrating/fcm-app': { uses: ['APP_SERVER_VAPID_PUBLIC_KEY', 'api', 'showNotification'] },
  'sending/node-gcm': { uses: ['tokens', 'forgetToken'], report: ['response'] },
  'sending/firebase-admin': { uses: ['vapidKeys', 'token', 'tokens', 'forgetToken', 'a', 'b'], report: ['id', 'batch', 'each'] },
};
const fileOf = (example: string) => example.replace('/', '-');

let scratch: string;
let tarballs: Map<string, Tarball>;
let npmEnv: NodeJS.ProcessEnv;
let bin: string;
const services: Service[] = [];

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

function project(name: string, manifest: Record<string, unknown>): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  writeJson(join(dir, 'package.json'), { name, version: '1.0.0', private: true, ...manifest });
  return dir;
}

const npm = (args: string[], cwd: string) => run('npm', args, { cwd, env: npmEnv });

/**
 * This machine reaches the npm registry but not GitHub, where better-sqlite3 keeps its prebuilt
 * binaries; without one npm compiles it, a minute or more per install. The workspace already
 * built the same version for this Node, so it is offered as the local prebuild that
 * prebuild-install looks for first; a different version is compiled as usual.
 */
async function seedSqlitePrebuild(): Promise<string> {
  const dir = join(scratch, 'prebuilds');
  mkdirSync(dir);
  const sqlite = realpathSync(join(repoRoot, 'packages/store-sqlite/node_modules/better-sqlite3'));
  const { version } = JSON.parse(readFileSync(join(sqlite, 'package.json'), 'utf8')) as { version: string };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  await run('tar', ['-czf', join(dir, name), 'build/Release/better_sqlite3.node'], { cwd: sqlite });
  return dir;
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'fosspush-consumer-'));
  await run('sh', [join(repoRoot, 'scripts/release-pack.sh'), join(scratch, 'release')], { cwd: repoRoot });
  tarballs = await readTarballs(join(scratch, 'release'));
  npmEnv = {
    ...process.env,
    npm_config_better_sqlite3_local_prebuilds: await seedSqlitePrebuild(),
    npm_config_prefer_offline: 'true',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_update_notifier: 'false',
    npm_config_loglevel: 'error',
  };
});

afterAll(async () => {
  for (const service of services.splice(0).reverse()) await service.stop();
  if (scratch !== undefined && process.env['FOSSPUSH_KEEP_SCRATCH'] !== '1') rmSync(scratch, { recursive: true, force: true });
});

describe.sequential('installed from the tarballs, outside the repository', () => {
  it('every public package packs to its own tarball, with README, LICENSE and real version ranges', async () => {
    const license = readFileSync(join(repoRoot, 'LICENSE'), 'utf8');
    const names = [...tarballs.keys()].sort();
    expect(names).toEqual(expect.arrayContaining(['@fosspush/client', '@fosspush/core', '@fosspush/sender', '@fosspush/push-server', 'fosspush', 'fosspushd']));
    for (const { file, manifest } of tarballs.values()) {
      const { stdout: listing } = await run('tar', ['-tzf', file], { cwd: scratch });
      expect(listing.split('\n'), file).toEqual(expect.arrayContaining(['package/README.md', 'package/LICENSE', 'package/package.json']));
      expect(listing, file).not.toMatch(/\.test\.(ts|js)\b/);
      const { stdout: shipped } = await run('tar', ['-xzOf', file, 'package/LICENSE'], { cwd: scratch });
      expect(shipped, file).toBe(license);
      expect(JSON.stringify(manifest), file).not.toContain('workspace:');
    }
  });

  it('puts fosspush, fosspushd and fosspush-server on PATH with npm install -g of each app tarball alone; fosspush demo works there', async () => {
    const prefix = join(scratch, 'global');
    const apps = ['fosspush', 'fosspushd', '@fosspush/push-server'].map((name) => tarballs.get(name)?.file as string);
    await npm(['install', '--global', '--prefix', prefix, ...apps], scratch);
    bin = join(prefix, 'bin');
    for (const command of ['fosspush', 'fosspushd', 'fosspush-server']) {
      const { stdout: version } = await run(join(bin, command), ['--version'], { cwd: scratch });
      expect(version, command).toMatch(/\d+\.\d+\.\d+/);
      const { stdout: help } = await run(join(bin, command), ['--help'], { cwd: scratch });
      expect(help, command).toContain(command);
      expect(help, command).not.toMatch(/apps\/|packages\//);
    }

    // `fosspush demo` prints a send command that works here, and it does.
    const env = { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` };
    const demo = new Service(join(bin, 'fosspush'), ['demo'], { cwd: scratch, env });
    services.push(demo);
    const sendCommand = await demo.waitForLine((line) => (/ send --token @/.test(line) ? line.trim() : undefined));
    expect(sendCommand).toMatch(/^fosspush send --token @\S+ --data message=hello$/);
    const { stdout: sent } = await run('sh', ['-c', sendCommand], { cwd: scratch, env, timeoutMs: 60_000 });
    expect(sent).toMatch(/^sent, message id \S+/);
    await demo.stop();
    expect(demo.exitedCleanly).toBe(true);
  });

  it('a Web Push-only sender installs none of the email, storage or logging stacks, and is no larger than web-push', async () => {
    const dir = project('sender-only', { type: 'module' });
    await npm(['install', ...tarballClosure(['@fosspush/sender'], tarballs)], dir);
    const installed = installedPackages(join(dir, 'node_modules'));
    expect(HEAVY.filter((name) => installed.has(name))).toEqual([]);
    // The baseline, measured the same way in the same run: the web-push library.
    const webPush = project('web-push-only', { type: 'module' });
    await npm(['install', 'web-push@3'], webPush);
    const bytes = await diskUsageBytes(join(dir, 'node_modules'));
    const webPushBytes = await diskUsageBytes(join(webPush, 'node_modules'));
    console.log(`sender-only node_modules: ${(bytes / 1024 / 1024).toFixed(2)} MB, ${installed.size} packages; web-push: ${(webPushBytes / 1024 / 1024).toFixed(2)} MB`);
    expect(bytes).toBeLessThanOrEqual(webPushBytes);

    // The email path names the package it lacks, with a stable code.
    writeFileSync(
      join(dir, 'email.js'),
      `import { generateEmailIdentity, generateVapidKeys, isFosspushError } from '@fosspush/sender';
await generateVapidKeys();
const error = await generateEmailIdentity('push@app.example').then(() => undefined, (e) => e);
console.log(JSON.stringify({ missing: isFosspushError(error, 'MISSING_DEPENDENCY'), message: error?.message }));\n`,
    );
    const { stdout } = await run('node', ['email.js'], { cwd: dir });
    expect(JSON.parse(stdout)).toEqual({ missing: true, message: expect.stringContaining('npm install openpgp') });
  });

  it('an app that only receives installs only the client, within 5 MB', async () => {
    const dir = project('client-only', { type: 'module' });
    await npm(['install', ...tarballClosure(['@fosspush/client'], tarballs)], dir);
    const installed = installedPackages(join(dir, 'node_modules'));
    // @fosspush/webpush comes along (its ./node entry decrypts with node:crypto, 4x faster than
    // WebCrypto's thread-pool hops); it depends on core alone, and nothing of the sender's side does.
    expect([...HEAVY, 'ws', 'eventsource', '@fosspush/sender'].filter((name) => installed.has(name))).toEqual([]);
    const bytes = await diskUsageBytes(join(dir, 'node_modules'));
    console.log(`client-only node_modules: ${(bytes / 1024 / 1024).toFixed(2)} MB, ${installed.size} packages`);
    expect(bytes).toBeLessThanOrEqual(CLIENT_ONLY_LIMIT_BYTES);
  });

  it('a push server library on memory storage installs no storage driver; SQLite storage without its driver names the package', async () => {
    const dir = project('server-memory', { type: 'module' });
    await npm(['install', ...tarballClosure(['@fosspush/server'], tarballs)], dir);
    const installed = installedPackages(join(dir, 'node_modules'));
    expect(['better-sqlite3', 'ioredis', '@fosspush/store-sqlite', '@fosspush/store-redis'].filter((name) => installed.has(name))).toEqual([]);
    writeFileSync(
      join(dir, 'serve.js'),
      `import { isFosspushError, silentLogger } from '@fosspush/core';
import { createPushServer } from '@fosspush/server';
const memory = createPushServer({ storage: { kind: 'memory' }, logger: silentLogger });
const url = await memory.listen(0, '127.0.0.1');
const subscribed = (await fetch(url + '/subscribe', { method: 'POST' })).status;
await memory.close();
const sqlite = createPushServer({ storage: { kind: 'sqlite', path: 'server.db' }, logger: silentLogger });
const error = await sqlite.listen(0, '127.0.0.1').then(() => undefined, (e) => e);
await sqlite.close();
console.log(JSON.stringify({ subscribed, missing: isFosspushError(error, 'MISSING_DEPENDENCY'), message: error?.message }));\n`,
    );
    const { stdout } = await run('node', ['serve.js'], { cwd: dir });
    expect(JSON.parse(stdout)).toEqual({ subscribed: 201, missing: true, message: expect.stringContaining('npm install @fosspush/store-sqlite') });
  });

  let esmApp: string;

  it('the guides examples type-check as an ESM TypeScript app: node16 and bundler, TypeScript 5.5 to 5.9, lib ES2022 without DOM, skipLibCheck off', async () => {
    esmApp = project('esm-app', { type: 'module' });
    const compilers = TYPESCRIPT_VERSIONS.map((version) => `ts${version.replace('.', '')}@npm:typescript@~${version}.0`);
    await npm(['install', ...tarballClosure(['@fosspush/client', '@fosspush/sender'], tarballs), '@types/node@20', ...compilers], esmApp);

    const src = join(esmApp, 'src');
    mkdirSync(src);
    copyFileSync(join(fixtures, 'harness.ts'), join(src, 'harness.ts'));
    const examples = readExamples([
      { path: join(repoRoot, 'docs/migrating-from-gcm.md'), name: 'docs/migrating-from-gcm.md' },
      { path: join(repoRoot, 'docs/sending.md'), name: 'docs/sending.md' },
    ]);
    expect([...examples.keys()].sort()).toEqual(Object.keys(EXAMPLES).sort());
    for (const [name, { uses, report }] of Object.entries(EXAMPLES)) {
      const example = examples.get(name);
      const prelude = `import { ${[...uses, ...(report ? ['report'] : [])].join(', ')} } from './harness.js';\n`;
      const epilogue = report ? `\nreport({ ${report.join(', ')} });\n` : '';
      writeFileSync(join(src, `${fileOf(name)}.ts`), `${prelude}// ${example?.file}, example ${name}, verbatim:\n${example?.code}${epilogue}`);
    }
    const common = { target: 'ES2022', lib: ['ES2022'], types: ['node'], strict: true, skipLibCheck: false, rootDir: 'src' };
    writeJson(join(esmApp, 'tsconfig.node16.json'), { compilerOptions: { ...common, module: 'node16', moduleResolution: 'node16', outDir: 'dist' }, include: ['src'] });
    writeJson(join(esmApp, 'tsconfig.bundler.json'), { compilerOptions: { ...common, module: 'esnext', moduleResolution: 'bundler', noEmit: true }, include: ['src'] });

    // node16 on every version; bundler on the oldest and the newest (the resolution differs, the
    // declarations the versions disagree on do not).
    for (const version of TYPESCRIPT_VERSIONS) {
      const tsc = join(esmApp, 'node_modules', `ts${version.replace('.', '')}`, 'bin', 'tsc');
      const { stdout } = await run('node', [tsc, '--version'], { cwd: esmApp });
      expect(stdout).toContain(`Version ${version}.`);
      await run('node', [tsc, '-p', 'tsconfig.node16.json', '--noEmit'], { cwd: esmApp });
      if (version === TYPESCRIPT_VERSIONS[0] || version === TYPESCRIPT_VERSIONS.at(-1)) await run('node', [tsc, '-p', 'tsconfig.bundler.json'], { cwd: esmApp });
    }
    // The newest emits the JavaScript the next step runs.
    await run('node', [join(esmApp, 'node_modules/ts59/bin/tsc'), '-p', 'tsconfig.node16.json'], { cwd: esmApp });
    expect(existsSync(join(esmApp, 'dist/migrating-gcm-app.js'))).toBe(true);
  });

  /** A token registered with a numeric sender id: any app server may push to it. */
  let bearerToken: string;
  let serverUrl: string;

  it("runs the guides' examples: app servers reach a real fosspush-server, apps receive through a real fosspushd", async () => {
    const server = new Service(join(bin, 'fosspush-server'), ['--listen', '127.0.0.1:0', '--memory', '--log-level', 'warn'], { cwd: scratch });
    services.push(server);
    serverUrl = await server.waitForLine((line) => /^listening on (\S+)/.exec(line)?.[1]);

    // One device per daemon: a second one lets the same app register again with fresh keys.
    const startDaemon = async (device: string) => {
      const socket = join(scratch, device, 'daemon.sock');
      const daemon = new Service(join(bin, 'fosspushd'), ['--server', serverUrl, '--data', join(scratch, device, 'data'), '--socket', socket, '--log-level', 'warn'], {
        cwd: scratch,
      });
      services.push(daemon);
      await waitFor(() => existsSync(socket), 30_000, `the daemon socket of ${device}`);
      return { FOSSPUSH_SOCKET: socket, XDG_DATA_HOME: join(scratch, device, 'app-data') };
    };
    const device = await startDaemon('device-1');

    const vapidKeys = (await run('node', ['--input-type=module', '-e', "import { generateVapidKeys } from '@fosspush/sender'; console.log(JSON.stringify(await generateVapidKeys()));"], { cwd: esmApp })).stdout.trim();
    const runExample = (name: string, extra: Record<string, string> = {}) => {
      const service = new Service('node', [join('dist', `${fileOf(name)}.js`)], { cwd: esmApp, env: { ...process.env, ...device, VAPID_KEYS: vapidKeys, ...extra } });
      services.push(service);
      return service;
    };

    // docs/migrating-from-gcm.md: the GCM app registers with its server's VAPID key, the node-gcm-shaped server sends.
    const gcmApp = runExample('migrating/gcm-app');
    const gcmToken = String((await gcmApp.waitForEvent('token'))['token']);
    expect(gcmToken).toMatch(/^fp1\./);
    const gcmServer = runExample('migrating/gcm-app-server', { FOSSPUSH_TOKEN: gcmToken });
    expect(await gcmServer.waitForEvent('done')).toMatchObject({ response: { success: 1, failure: 0 } });
    expect(await gcmApp.waitForEvent('notification')).toEqual({ event: 'notification', title: 'ana', body: 'hi!' });
    await gcmApp.stop();

    // docs/sending.md, node-gcm shape: it makes its own VAPID keys, so it sends to the same app
    // registered (on a second device) with a numeric sender id, a bearer token. The listener
    // shows sender and text, which this message lacks: it reports nulls.
    const bearerApp = runExample('migrating/gcm-app', { ...(await startDaemon('device-2')), APP_SERVER_ID: '123456789' });
    bearerToken = String((await bearerApp.waitForEvent('token'))['token']);
    const nodeGcm = runExample('sending/node-gcm', { FOSSPUSH_TOKEN: bearerToken });
    expect(await nodeGcm.waitForEvent('done')).toMatchObject({ response: { success: 1, failure: 0 } });
    expect(await bearerApp.waitForEvent('notification')).toEqual({ event: 'notification', title: null, body: null });
    await bearerApp.stop();

    // docs/migrating-from-gcm.md FCM style with docs/sending.md's firebase-admin shape: the token is restricted to the server's VAPID key.
    const fcmApp = runExample('migrating/fcm-app');
    const fcmToken = String((await fcmApp.waitForEvent('token'))['token']);
    const firebase = runExample('sending/firebase-admin', { FOSSPUSH_TOKEN: fcmToken });
    const done = await firebase.waitForEvent('done');
    expect(done).toMatchObject({ id: expect.any(String), batch: { successCount: 1, failureCount: 0 }, each: { successCount: 2, failureCount: 0 } });
    // The first of its four messages carries a notification; the app shows its title.
    expect(await fcmApp.waitForEvent('notification', { match: (fields) => fields['body'] === 'New mail' })).toEqual({ event: 'notification', title: null, body: 'New mail' });
    await fcmApp.waitForEvent('notification', { nth: 4 });
    await fcmApp.stop();
  });

  it('a CommonJS app require()s the packages and sends', async () => {
    const dir = project('cjs-app', { type: 'commonjs' });
    await npm(['install', ...tarballClosure(['@fosspush/client', '@fosspush/sender'], tarballs)], dir);
    copyFileSync(join(fixtures, 'cjs-app.cjs'), join(dir, 'app.cjs'));
    const { stdout } = await run('node', ['app.cjs'], { cwd: dir, env: { ...process.env, FOSSPUSH_TOKEN: bearerToken } });
    expect(JSON.parse(stdout)).toEqual({
      event: 'done',
      success: 1,
      clientApi: 'function',
      refusedCode: 'messaging/invalid-registration-token',
      causeIsFosspushError: true,
    });
  });

  it('a pnpm project with strict, unhoisted dependencies runs the sending guide', async () => {
    const overrides = Object.fromEntries([...tarballs].filter(([name]) => name.startsWith('@fosspush/')).map(([name, { file }]) => [name, `file:${file}`]));
    const dir = project('pnpm-app', { type: 'module', dependencies: { '@fosspush/sender': `file:${tarballs.get('@fosspush/sender')?.file}` }, pnpm: { overrides } });
    writeFileSync(join(dir, '.npmrc'), 'node-linker=isolated\nhoist=false\nshamefully-hoist=false\nstrict-peer-dependencies=true\n');
    await run('sh', [join(repoRoot, 'scripts/pnpm.sh'), 'install', '--reporter=silent'], { cwd: dir });
    // Only the direct dependency is visible to the app: @fosspush/core is not, so the guide must not import it.
    expect(existsSync(join(dir, 'node_modules/@fosspush/core'))).toBe(false);
    for (const file of ['harness.js', 'sending-node-gcm.js']) copyFileSync(join(esmApp, 'dist', file), join(dir, file));
    const app = new Service('node', ['sending-node-gcm.js'], { cwd: dir, env: { ...process.env, FOSSPUSH_TOKEN: bearerToken } });
    services.push(app);
    expect(await app.waitForEvent('done')).toMatchObject({ response: { success: 1, failure: 0 } });
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
