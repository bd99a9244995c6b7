import { createHash } from 'node:crypto';
import { equalBytes, FosspushError, fromBase64Url, type RandomSource, toBase64Url } from '@fosspush/core';
import type { Records } from './records.js';

/**
 * Binds an app id to the secret issued at its first registration. The daemon keeps only a
 * SHA-256 of the secret: a copy of the database does not let anyone act as the app.
 */
export interface AppCredentials {
  /** Rejects with PERMISSION_DENIED unless the credential is the app's. */
  verify(appId: string, credential: string): Promise<void>;
  /**
   * For a registration: verifies a known app, or prepares a credential for a new one (issued,
   * or adopted when the app kept one from a daemon whose data was wiped). Nothing is stored
   * until `save`, so a registration that fails never leaves the app locked out of its own id.
   */
  claim(appId: string, credential: string | undefined): Promise<CredentialClaim>;
  knownApps(): Promise<string[]>;
}

export interface CredentialClaim {
  /** Set when the daemon issued a new credential: the app must store it. */
  issued?: string;
  save(): Promise<void>;
}

const CREDENTIAL_BYTES = 32;
/** 22 base64url characters carry 128 bits: less is not a secret worth binding an app to. */
const MIN_ADOPTED_LENGTH = 22;

function digest(credential: string): Uint8Array {
  return createHash('sha256').update(credential).digest();
}

export function createAppCredentials(records: Records, random: RandomSource): AppCredentials {
  const denied = (appId: string) =>
    new FosspushError('PERMISSION_DENIED', `the credential does not belong to app ${appId}`, { details: { appId } });

  async function check(appId: string, credential: string | undefined, known: string): Promise<void> {
    if (credential === undefined || !equalBytes(digest(credential), fromBase64Url(known))) throw denied(appId);
  }

  return {
    async verify(appId, credential) {
      const known = await records.get(appId);
      if (known === undefined) throw denied(appId);
      await check(appId, credential, known);
    },
    async claim(appId, credential) {
      const known = await records.get(appId);
      if (known !== undefined) {
        await check(appId, credential, known);
        return { save: async () => {} };
      }
      if (credential !== undefined && credential.length < MIN_ADOPTED_LENGTH) {
        throw new FosspushError('INVALID_REQUEST', 'a credential must hold at least 128 random bits', { details: { field: 'credential' } });
      }
      const issued = credential === undefined ? toBase64Url(random.bytes(CREDENTIAL_BYTES)) : undefined;
      const secret = credential ?? (issued as string);
      const save = () => records.set(appId, toBase64Url(digest(secret)));
      return issued === undefined ? { save } : { issued, save };
    },
    async knownApps() {
      return (await records.list()).map((record) => record.key);
    },
  };
}
