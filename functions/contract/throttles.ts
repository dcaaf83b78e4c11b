/**
 * Request throttling by route class: what the CDK stack writes as the HTTP API stage's route
 * settings (infra/http-api.ts) and what the local gateway enforces (dev/gateway.ts), from the same
 * defaults. Each route has its own token bucket (API Gateway throttles per route, not per
 * caller): `rateLimit` tokens a second refill it, `burstLimit` is its size.
 *
 * - `integration`: the paths other systems call on every request they serve (POST /v1/keys/verify,
 *   /oauth/token, /oauth/introspect, the JWKS and discovery documents; `throttleClass:
 *   'integration'` in their contracts). One bucket per route serves the whole company, so it is
 *   sized for traffic, not for people.
 * - `management`: everything else (keys, channels, audit, console): people and deploy pipelines.
 *
 * The ceilings these share (README, "Deploying to AWS"): the account's API Gateway limit,
 * 10,000 requests a second with a burst of 5,000 per region across every API of the account, and
 * Lambda's default 1,000 concurrent executions per region across every function. At ~25–50 ms a
 * warm request, 1,000 rps on one route holds about 25–50 executions; a 2,000-request burst that
 * meets cold starts (~0.3–0.5 s) can briefly hold several hundred, which is why the integration
 * burst is not set at the account's 5,000.
 */
export type ThrottleClass = 'management' | 'integration';

export interface RouteThrottle {
  /** Steady requests a second (the bucket's refill rate). */
  readonly rateLimit: number;
  /** Requests served at once from a full bucket (its size). */
  readonly burstLimit: number;
}

export type Throttles = Readonly<Record<ThrottleClass, RouteThrottle>>;

export const THROTTLE_CLASSES: readonly ThrottleClass[] = ['management', 'integration'];

export const DEFAULT_THROTTLES: Throttles = {
  management: { rateLimit: 50, burstLimit: 100 },
  integration: { rateLimit: 1_000, burstLimit: 2_000 },
};

/** KeygateProtectedApi's stage default (infra/protected-api.ts), also for the demo API that `npm start` serves. */
export const PROTECTED_API_THROTTLE: RouteThrottle = { rateLimit: 50, burstLimit: 100 };

/** API Gateway's per-region account limits: a route's setting above them can never take effect. */
export const ACCOUNT_THROTTLE: RouteThrottle = { rateLimit: 10_000, burstLimit: 5_000 };

/** The class of a route: `management` unless its contract says otherwise. */
export function throttleClassOf(route: { readonly throttleClass?: ThrottleClass }): ThrottleClass {
  return route.throttleClass ?? 'management';
}

/**
 * The defaults with what an operator set: `setting(name)` answers `<class>RateLimit` or
 * `<class>BurstLimit` (`integrationRateLimit`: a CDK context value, an environment variable) or undefined;
 * `displayName` names it in an error (an environment variable's own name). A value
 * that is not a number within API Gateway's limits stops the synth (or `npm start`) with the
 * setting's name, never a silent default.
 */
export function throttlesFromSettings(setting: (name: string) => string | undefined, displayName: (name: string) => string = (name) => name): Throttles {
  const read = (name: string, fallback: number, max: number, integer: boolean): number => {
    const text = setting(name);
    if (text === undefined || text.trim() === '') return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0 || value > max || (integer && !Number.isInteger(value))) {
      throw new Error(`${displayName(name)} must be ${integer ? 'a whole number' : 'a number'} above 0 and at most ${max} (API Gateway's account limit), not "${text}"`);
    }
    return value;
  };
  const pick = (name: ThrottleClass): RouteThrottle => ({
    rateLimit: read(`${name}RateLimit`, DEFAULT_THROTTLES[name].rateLimit, ACCOUNT_THROTTLE.rateLimit, false),
    burstLimit: read(`${name}BurstLimit`, DEFAULT_THROTTLES[name].burstLimit, ACCOUNT_THROTTLE.burstLimit, true),
  });
  return { management: pick('management'), integration: pick('integration') };
}
