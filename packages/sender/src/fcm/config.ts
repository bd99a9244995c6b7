import type { Urgency } from '@fosspush/core';

/**
 * firebase-admin 13's config types, field for field, so a message typed for firebase-admin
 * type-checks here. What each field does on fosspush is in docs/sending.md: notification fields
 * reach the app (as strings, as FCM hands them to an Android app); delivery hints with no
 * meaning off Google's transport (APNs, analytics labels, direct boot, satellite) are accepted
 * and ignored.
 */
export interface Notification {
  title?: string;
  body?: string;
  imageUrl?: string;
}

export interface FcmOptions {
  analyticsLabel?: string;
}

export interface LightSettings {
  color: string;
  lightOnDurationMillis: number;
  lightOffDurationMillis: number;
}

export interface AndroidNotification {
  title?: string;
  body?: string;
  icon?: string;
  color?: string;
  sound?: string;
  tag?: string;
  imageUrl?: string;
  clickAction?: string;
  bodyLocKey?: string;
  bodyLocArgs?: string[];
  titleLocKey?: string;
  titleLocArgs?: string[];
  channelId?: string;
  ticker?: string;
  sticky?: boolean;
  eventTimestamp?: Date;
  localOnly?: boolean;
  priority?: 'min' | 'low' | 'default' | 'high' | 'max';
  vibrateTimingsMillis?: number[];
  defaultVibrateTimings?: boolean;
  defaultSound?: boolean;
  lightSettings?: LightSettings;
  defaultLightSettings?: boolean;
  visibility?: 'private' | 'public' | 'secret';
  notificationCount?: number;
  proxy?: 'allow' | 'deny' | 'if_priority_lowered';
}

export interface AndroidConfig {
  collapseKey?: string;
  priority?: 'high' | 'normal';
  /** Milliseconds, as in firebase-admin. */
  ttl?: number;
  restrictedPackageName?: string;
  data?: { [key: string]: string };
  notification?: AndroidNotification;
  fcmOptions?: FcmOptions;
  directBootOk?: boolean;
  bandwidthConstrainedOk?: boolean;
  restrictedSatelliteOk?: boolean;
}

export interface WebpushNotification {
  title?: string;
  actions?: Array<{ action: string; icon?: string; title: string }>;
  badge?: string;
  body?: string;
  // biome-ignore lint/suspicious/noExplicitAny: firebase-admin types it as any
  data?: any;
  dir?: 'auto' | 'ltr' | 'rtl';
  icon?: string;
  image?: string;
  lang?: string;
  renotify?: boolean;
  requireInteraction?: boolean;
  silent?: boolean;
  tag?: string;
  timestamp?: number;
  vibrate?: number | number[];
  // biome-ignore lint/suspicious/noExplicitAny: firebase-admin allows any extra field
  [key: string]: any;
}

/** Its headers win over the Android fields: `TTL`, `Urgency`, `Topic`. */
export interface WebpushConfig {
  headers?: { TTL?: string; Urgency?: Urgency; Topic?: string; [key: string]: string | undefined };
  data?: { [key: string]: string };
  notification?: WebpushNotification;
  fcmOptions?: { link?: string };
}

/** Accepted so firebase-admin messages type-check; APNs has no meaning on fosspush's channels. */
export interface ApnsConfig {
  liveActivityToken?: string;
  headers?: { [key: string]: string };
  payload?: { aps: Record<string, unknown>; [customData: string]: unknown };
  fcmOptions?: { analyticsLabel?: string; imageUrl?: string };
}
