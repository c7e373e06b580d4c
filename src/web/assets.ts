/**
 * The browser script, bundled in memory by esbuild when the app is built (no build step, no file
 * written), served under a content-hashed URL with a long cache lifetime.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export interface ClientAsset {
  readonly url: string;
  readonly body: string;
}

const ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), "client", "app.ts");

let cached: Promise<ClientAsset> | undefined;

export function clientAsset(): Promise<ClientAsset> {
  cached ??= (async () => {
    const result = await build({
      entryPoints: [ENTRY],
      bundle: true,
      minify: true,
      format: "esm",
      target: ["es2020"],
      write: false,
      legalComments: "none",
    });
    const body = result.outputFiles[0]?.text ?? "";
    const hash = createHash("sha256").update(body).digest("hex").slice(0, 16);
    return { url: `/static/app.${hash}.js`, body };
  })();
  return cached;
}
