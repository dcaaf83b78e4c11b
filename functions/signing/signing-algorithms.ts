/** The algorithms token signing keys may use (functions/signing/signing-keys.ts makes and checks them). */
export const signingAlgorithms = ['ES256', 'EdDSA', 'RS256'] as const;
