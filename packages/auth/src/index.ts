export { type ApiKeyOptions, apiKey } from './api-key.ts';
export {
  type Authorization,
  type FinishAuthorizationOptions,
  finishAuthorization,
  type StartAuthorizationOptions,
  startAuthorization,
} from './authorization-code.ts';
export { type AwsSigV4Options, awsSigV4, type PresignAwsUrlOptions, presignAwsUrl } from './aws-sig-v4.ts';
// The signer's steps (canonical request, string to sign) stay internal: AWS's suite tests them here.
export type { AwsCredentials } from './aws-signature.ts';
export { type BasicOptions, basic } from './basic.ts';
export { bearer } from './bearer.ts';
export { contentDigest, type DigestAlgorithm } from './content-digest.ts';
// `credentialed` (redirect control shared by every scheme) stays internal: a scheme is added here, with tests.
export type { CredentialOptions, Secret } from './credentialed.ts';
export { type HmacOptions, type HmacSigningInput, hmac } from './hmac.ts';
// JWT signing stays internal: `jwtBearer` and `private_key_jwt` are the API.
export type { JwtAlgorithm, JwtKey } from './jwt.ts';
export { type JwtBearerOptions, type JwtClaims, jwtBearer } from './jwt-bearer.ts';
export { type OAuth2Options, oauth2 } from './oauth2.ts';
export type { ClientAuth, TokenEndpointOptions } from './token-endpoint.ts';
export {
  type VerifyWebhookOptions,
  verifyWebhook,
  type WebhookFailure,
  type WebhookMessage,
  type WebhookPayloadInput,
  type WebhookStyle,
  type WebhookVerification,
} from './verify-webhook.ts';
