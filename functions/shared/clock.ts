/** Time is injected everywhere so expiry rules are tested without sleeping. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
