import { EMAIL_NOTIFY_MARKER_HEADER, FosspushError, isFosspushError } from '@fosspush/core';
import { ManageSieveClient, type ManageSieveConnectOptions } from './managesieve/client.js';

const sieveString = (value: string) => `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/**
 * The Email-notify filing rule (spec section 8.1) for a folder: notifications never reach INBOX.
 *
 * @example
 * sieveRule() // require ["fileinto", "mailbox"]; if exists "Fosspush-Notify" { fileinto :create "Fosspush"; stop; }
 */
export function sieveRule(folder = 'Fosspush'): string {
  return [
    'require ["fileinto", "mailbox"];',
    `if exists ${sieveString(EMAIL_NOTIFY_MARKER_HEADER)} {`,
    `  fileinto :create ${sieveString(folder)};`,
    '  stop;',
    '}',
    '',
  ].join('\n');
}

export interface InstallSieveRuleOptions extends ManageSieveConnectOptions {
  user: string;
  password: string;
  /** Must match the channel's `folder`. @default 'Fosspush' */
  folder?: string;
  /** The name of the script holding the rule. @default 'fosspush' */
  scriptName?: string;
  /**
   * The script made active when the user already has an active script: it includes the rule,
   * then the user's script, which stays as it is.
   * @default 'fosspush-and-<the user's script>'
   */
  wrapperName?: string;
  /**
   * Send the password over a connection without TLS. Always allowed to a server on a loopback
   * address; otherwise installSieveRule rejects with PERMISSION_DENIED before logging in.
   * @default false
   */
  allowPlaintext?: boolean;
}

/**
 * What happened: `installed` (the rule is active, alone or included before the user's own active
 * script), or `manual` (the server cannot take it over ManageSieve; `instructions` say what the
 * user should do by hand, with the rule text in `sieve`).
 */
export type SieveSetupResult =
  | { status: 'installed'; activeScript: string; ruleScript: string; includedScript?: string }
  | { status: 'manual'; reason: string; instructions: string; sieve: string };

function manual(reason: string, folder: string, where: string): SieveSetupResult {
  const sieve = sieveRule(folder);
  const instructions = [
    `${reason}.`,
    `Add this Sieve rule ${where}, before any other rule, so that no auto-reply or forward ever`,
    'sees a notification. Webmail usually offers it under Settings > Filters (edit the filter set',
    'as raw Sieve). Without Sieve the channel still works: it moves notifications out of INBOX',
    'itself (watchInbox, the default).',
    '',
    sieve,
  ].join('\n');
  return { status: 'manual', reason, instructions, sieve };
}

/**
 * Installs the filing rule over ManageSieve (RFC 5804) where the server offers it. It never
 * replaces or edits a script the user has: with no active script, the rule becomes the active
 * script; with one, and a server that runs the `include` extension (RFC 6609), a separate
 * script that includes the rule and then the user's script is made active; otherwise the
 * result is `manual`, with instructions. Running it again is harmless.
 *
 * @example
 * const result = await installSieveRule({ host: 'mail.example.org', user: 'alice', password });
 * if (result.status === 'manual') console.log(result.instructions);
 */
export async function installSieveRule(options: InstallSieveRuleOptions): Promise<SieveSetupResult> {
  const folder = options.folder ?? 'Fosspush';
  const scriptName = options.scriptName ?? 'fosspush';
  const where = `at the top of your mail filters on ${options.host}`;
  let client: ManageSieveClient;
  try {
    client = await ManageSieveClient.connect(options);
  } catch (error) {
    if (isFosspushError(error, 'UNAVAILABLE') || isFosspushError(error, 'PROTOCOL_ERROR')) {
      return manual(`${options.host}:${options.port ?? 4190} offers no ManageSieve service (${error.message})`, folder, where);
    }
    throw error;
  }
  try {
    if (!client.secure && !options.allowPlaintext && !client.loopback) {
      throw new FosspushError('PERMISSION_DENIED', `ManageSieve at ${options.host} offers no TLS; pass allowPlaintext: true to send the password anyway`);
    }
    const missing = ['fileinto', 'mailbox'].filter((extension) => !client.capabilities.sieveExtensions.has(extension));
    if (missing.length > 0) return manual(`the server's Sieve lacks the ${missing.join(' and ')} extension`, folder, where);
    await client.authenticate(options.user, options.password);

    const rule = sieveRule(folder);
    const scripts = await client.listScripts();
    const active = scripts.find((script) => script.active);
    if (active === undefined || active.name === scriptName) {
      await client.putScript(scriptName, rule);
      await client.setActive(scriptName);
      return { status: 'installed', activeScript: scriptName, ruleScript: scriptName };
    }
    const included = await wrappedScript(client, active.name, scriptName);
    if (included !== undefined) {
      // Ours already runs first: refreshing the rule is all there is to do.
      await client.putScript(scriptName, rule);
      return { status: 'installed', activeScript: active.name, ruleScript: scriptName, includedScript: included };
    }
    if (!client.capabilities.sieveExtensions.has('include')) {
      return manual(`you already have an active Sieve script ("${active.name}") and the server cannot include a second one`, folder, `to your script "${active.name}"`);
    }
    const wrapperName = options.wrapperName ?? `${scriptName}-and-${active.name}`;
    await client.putScript(scriptName, rule);
    await client.putScript(wrapperName, wrapperScript(scriptName, active.name));
    await client.setActive(wrapperName);
    return { status: 'installed', activeScript: wrapperName, ruleScript: scriptName, includedScript: active.name };
  } finally {
    await client.logout();
  }
}

const WRAPPER_MARK = '# fosspush: runs the Email-notify rule, then ';

function wrapperScript(ruleScript: string, userScript: string): string {
  return [
    `${WRAPPER_MARK}${JSON.stringify(userScript)} unchanged.`,
    '# Made active by installSieveRule (@fosspush/imap); to undo it, make that script active again.',
    'require ["include"];',
    `include :personal ${sieveString(ruleScript)};`,
    `include :personal ${sieveString(userScript)};`,
    '',
  ].join('\n');
}

/** The user script an active wrapper of ours includes, or undefined if the active script is not ours. */
async function wrappedScript(client: ManageSieveClient, activeName: string, ruleScript: string): Promise<string | undefined> {
  const text = await client.getScript(activeName);
  if (!text.startsWith(WRAPPER_MARK) || !text.includes(`include :personal ${sieveString(ruleScript)};`)) return undefined;
  const line = text.slice(WRAPPER_MARK.length, text.indexOf('\n'));
  try {
    return JSON.parse(line.replace(/ unchanged\.$/, '')) as string;
  } catch {
    return undefined;
  }
}
