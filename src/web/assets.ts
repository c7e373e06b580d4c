/**
 * Browser scripts, bundled in memory by esbuild when the app is built (no build step, no file
 * written), served under content-hashed URLs with a long cache lifetime; and the few vendor files
 * served as they are (the ALTCHA widget's stylesheet and worker). Each is compressed once here, with
 * Brotli's and gzip's best settings, so that no request pays for compressing a file that never changes.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import { build } from "esbuild";
import { MODULE_EXTENSION } from "../shared/build.js";

/** The content codings an asset is kept in besides its plain body, in the server's order of preference. */
export const ASSET_ENCODINGS = ["br", "gzip"] as const;
export type AssetEncoding = (typeof ASSET_ENCODINGS)[number];

export interface ClientAsset {
  readonly url: string;
  readonly body: string;
  readonly type: string;
  /** The body compressed once at start-up, per content coding. */
  readonly encoded: Readonly<Record<AssetEncoding, Buffer>>;
}

export interface ClientAssets {
  /** Progressive enhancement for every page. */
  readonly app: ClientAsset;
  /** The proof-of-work widget, only on forms that carry a challenge. */
  readonly challenge: ClientAsset;
  /** Served as they are under /static/vendor/. */
  readonly vendor: readonly ClientAsset[];
}

/** The client's modules: TypeScript in the sources, compiled to JavaScript in the build (dist/). */
const CLIENT_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "client");
const require = createRequire(import.meta.url);

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

/** An asset with its compressed forms (best quality: done once per process, off the main thread). */
async function asset(url: string, body: string, type: string): Promise<ClientAsset> {
  const plain = Buffer.from(body, "utf8");
  const [br, gz] = await Promise.all([
    brotli(plain, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: plain.length,
      },
    }),
    gzipped(plain, { level: constants.Z_BEST_COMPRESSION }),
  ]);
  return { url, body, type, encoded: { br, gzip: gz } };
}

async function bundle(name: string): Promise<ClientAsset> {
  const result = await build({
    entryPoints: [path.join(CLIENT_DIR, `${name}${MODULE_EXTENSION}`)],
    bundle: true,
    minify: true,
    format: "esm",
    target: ["es2020"],
    write: false,
    legalComments: "none",
    logLevel: "silent",
  });
  const body = result.outputFiles[0]?.text ?? "";
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 16);
  return asset(`/static/${name}.${hash}.js`, body, "text/javascript; charset=utf-8");
}

let cached: Promise<ClientAssets> | undefined;

export function clientAssets(): Promise<ClientAssets> {
  cached ??= (async () => {
    const altchaDir = path.dirname(path.dirname(require.resolve("altcha/external")));
    const [app, challenge, ...vendor] = await Promise.all([
      bundle("app"),
      bundle("challenge"),
      asset(
        "/static/vendor/altcha.css",
        readFileSync(path.join(altchaDir, "external", "altcha.css"), "utf8"),
        "text/css; charset=utf-8",
      ),
      asset(
        "/static/vendor/altcha-pbkdf2.js",
        readFileSync(path.join(altchaDir, "workers", "pbkdf2.js"), "utf8"),
        "text/javascript; charset=utf-8",
      ),
    ]);
    if (!app || !challenge) throw new Error("the client bundles were not built");
    return { app, challenge, vendor };
  })();
  return cached;
}
