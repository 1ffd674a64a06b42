/**
 * TLS and mTLS material, and the gRPC channel credentials built from it.
 *
 * Each item (CA bundle, client certificate, client key) comes from the first source present:
 * explicit PEM (`rootCert`, ...), then a file (`rootCertPath`, ...), then, unless TLS was switched
 * off explicitly, the environment: AETHER_TLS_CA_CERT, AETHER_TLS_CLIENT_CERT and
 * AETHER_TLS_CLIENT_KEY (a file path, or inline PEM), the variables the Python SDK reads.
 * Material is read at connect, so certificate files may appear after the client was built.
 */

import { existsSync, readFileSync } from "node:fs";

import { credentials, type ChannelCredentials } from "@grpc/grpc-js";

import { InvalidArgumentError } from "./errors.js";

export const ENV_TLS_ENABLED = "AETHER_TLS_ENABLED";
export const ENV_CA_CERT = "AETHER_TLS_CA_CERT";
export const ENV_CLIENT_CERT = "AETHER_TLS_CLIENT_CERT";
export const ENV_CLIENT_KEY = "AETHER_TLS_CLIENT_KEY";

export interface TlsOptions {
  /** CA bundle (PEM) that signed the gateway's certificate; the system roots when absent. */
  rootCert?: Uint8Array | string;
  rootCertPath?: string;
  /** Client certificate and key (PEM) for mTLS: both or neither. */
  clientCert?: Uint8Array | string;
  clientCertPath?: string;
  clientKey?: Uint8Array | string;
  clientKeyPath?: string;
}

/** `true`: TLS with the system roots (or the environment's); an object: TLS with that material;
 * `false`: plaintext; undefined: TLS only when the environment asks for it. */
export type TlsSetting = boolean | TlsOptions | undefined;

export interface ResolvedTls {
  rootCert: Buffer | null;
  clientCert: Buffer | null;
  clientKey: Buffer | null;
}

const TRUE_WORDS = new Set(["true", "1", "yes"]);

function pick(
  argument: string,
  explicit: Uint8Array | string | undefined,
  path: string | undefined,
  envName: string,
  env: NodeJS.ProcessEnv | undefined,
): Buffer | null {
  if (explicit !== undefined && explicit.length > 0) {
    return Buffer.from(explicit);
  }
  if (path) {
    return readFile(`${argument}Path`, path);
  }
  const value = env?.[envName]?.trim();
  if (value) {
    return value.includes("-----BEGIN") ? Buffer.from(value.replaceAll("\\n", "\n")) : readFile(envName, value);
  }
  return null;
}

function readFile(argument: string, path: string): Buffer {
  if (!existsSync(path)) {
    throw new InvalidArgumentError(`${argument}: no such file ${JSON.stringify(path)}`, argument);
  }
  return readFileSync(path);
}

/** The TLS material to use, or null for a plaintext channel. */
export function resolveTls(setting: TlsSetting, env: NodeJS.ProcessEnv = process.env): ResolvedTls | null {
  if (setting === false) {
    return null;
  }
  const options = typeof setting === "object" ? setting : {};
  const resolved: ResolvedTls = {
    rootCert: pick("rootCert", options.rootCert, options.rootCertPath, ENV_CA_CERT, env),
    clientCert: pick("clientCert", options.clientCert, options.clientCertPath, ENV_CLIENT_CERT, env),
    clientKey: pick("clientKey", options.clientKey, options.clientKeyPath, ENV_CLIENT_KEY, env),
  };
  const enabled =
    setting !== undefined ||
    TRUE_WORDS.has((env[ENV_TLS_ENABLED] ?? "").trim().toLowerCase()) ||
    resolved.rootCert !== null;
  if (!enabled) {
    return null;
  }
  if ((resolved.clientCert === null) !== (resolved.clientKey === null)) {
    throw new InvalidArgumentError("mTLS needs both a client certificate and its key", "tls");
  }
  return resolved;
}

export function channelCredentials(tls: ResolvedTls | null): ChannelCredentials {
  if (tls === null) {
    return credentials.createInsecure();
  }
  return credentials.createSsl(tls.rootCert, tls.clientKey, tls.clientCert);
}
