/**
 * Browser scripts, bundled in memory by esbuild when the app is built (no build step, no file
 * written), served under content-hashed URLs with a long cache lifetime; and the few vendor files
 * served as they are (the ALTCHA widget's stylesheet and worker).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export interface ClientAsset {
  readonly url: string;
  readonly body: string;
  readonly type: string;
}

export interface ClientAssets {
  /** Progressive enhancement for every page. */
  readonly app: ClientAsset;
  /** The proof-of-work widget, only on forms that carry a challenge. */
  readonly challenge: ClientAsset;
  /** Served as they are under /static/vendor/. */
  readonly vendor: readonly ClientAsset[];
}

const CLIENT_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "client");
const require = createRequire(import.meta.url);

async function bundle(name: string): Promise<ClientAsset> {
  const result = await build({
    entryPoints: [path.join(CLIENT_DIR, `${name}.ts`)],
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
  return { url: `/static/${name}.${hash}.js`, body, type: "text/javascript; charset=utf-8" };
}

let cached: Promise<ClientAssets> | undefined;

export function clientAssets(): Promise<ClientAssets> {
  cached ??= (async () => {
    const altchaDir = path.dirname(path.dirname(require.resolve("altcha/external")));
    const [app, challenge] = await Promise.all([bundle("app"), bundle("challenge")]);
    return {
      app,
      challenge,
      vendor: [
        {
          url: "/static/vendor/altcha.css",
          body: readFileSync(path.join(altchaDir, "external", "altcha.css"), "utf8"),
          type: "text/css; charset=utf-8",
        },
        {
          url: "/static/vendor/altcha-pbkdf2.js",
          body: readFileSync(path.join(altchaDir, "workers", "pbkdf2.js"), "utf8"),
          type: "text/javascript; charset=utf-8",
        },
      ],
    };
  })();
  return cached;
}
