/**
 * A software WebAuthn authenticator for tests through app.inject (the browser tests use Chromium's
 * virtual authenticator instead): a P-256 key, « none » attestation, a signature counter the test
 * can set, and the JSON a browser posts (as @simplewebauthn/browser builds it) for a registration
 * or an assertion. Its origin and RP ID are given: a wrong one must be refused.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import { isoBase64URL, isoCBOR } from "@simplewebauthn/server/helpers";

const sha256 = (data: Uint8Array | string): Buffer => createHash("sha256").update(data).digest();
const b64 = (data: Uint8Array): string => isoBase64URL.fromBuffer(new Uint8Array(data));

/** UP (user present), UV (user verified), AT (attested credential data). */
const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

export class SoftAuthenticator {
  readonly credentialId = randomBytes(16);
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;
  /** The counter the next assertion carries (incremented before each, as authenticators do). */
  counter = 0;

  constructor(
    readonly origin: string,
    readonly rpId: string,
  ) {
    const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
    this.#privateKey = pair.privateKey;
    this.#publicKey = pair.publicKey;
  }

  get id(): string {
    return b64(this.credentialId);
  }

  #authData(flags: number, attested?: Buffer): Buffer {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.counter);
    return Buffer.concat([sha256(this.rpId), Buffer.from([flags]), counter, ...(attested ? [attested] : [])]);
  }

  #clientData(type: string, challenge: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin: this.origin, crossOrigin: false }));
  }

  /** The JSON text of `navigator.credentials.create()`'s answer to these options. */
  register(options: { readonly challenge: string }): string {
    const jwk = this.#publicKey.export({ format: "jwk" });
    const cose = new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, isoBase64URL.toBuffer(String(jwk.x))],
      [-3, isoBase64URL.toBuffer(String(jwk.y))],
    ]);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const attested = Buffer.concat([Buffer.alloc(16), idLength, this.credentialId, isoCBOR.encode(cose)]);
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", new Uint8Array(this.#authData(UP | UV | AT, attested))],
      ]) as Parameters<typeof isoCBOR.encode>[0],
    );
    return JSON.stringify({
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: {
        clientDataJSON: b64(this.#clientData("webauthn.create", options.challenge)),
        attestationObject: b64(attestationObject),
        transports: ["usb"],
      },
      clientExtensionResults: {},
      authenticatorAttachment: "cross-platform",
    });
  }

  /** The JSON text of `navigator.credentials.get()`'s answer to these options (the counter moved on). */
  assert(options: { readonly challenge: string }, counter = this.counter + 1): string {
    this.counter = counter;
    const authData = this.#authData(UP | UV);
    const clientData = this.#clientData("webauthn.get", options.challenge);
    const signature = sign("sha256", Buffer.concat([authData, sha256(clientData)]), this.#privateKey);
    return JSON.stringify({
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: {
        clientDataJSON: b64(clientData),
        authenticatorData: b64(authData),
        signature: b64(signature),
      },
      clientExtensionResults: {},
      authenticatorAttachment: "cross-platform",
    });
  }
}
