import { readdirSync, readFileSync } from "node:fs";
import { transform } from "esbuild";

export interface PageAsset {
  body: Buffer;
  type: string;
}

const staticTypes: Record<string, string> = { ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8" };

/**
 * The console page's files by URL path: index.html and the stylesheet as they are, each TypeScript module
 * transpiled to an ES module at `<name>.js` (the path its importers name). Done once when the console starts,
 * so the user runs no build step; a module that does not compile stops the start with its file and reason.
 */
export async function loadPageAssets(publicDir: URL): Promise<Map<string, PageAsset>> {
  const assets = new Map<string, PageAsset>();
  const names = readdirSync(publicDir, { recursive: true, encoding: "utf8" })
    .map((n) => n.split("\\").join("/"))
    .sort();
  for (const name of names) {
    const source = new URL(name, publicDir);
    if (name.endsWith(".ts")) {
      const code = readFileSync(source, "utf8");
      const js = await transform(code, { loader: "ts", format: "esm", target: "es2022", sourcefile: name }).catch((e: Error) => {
        throw new Error(`console page module ${name} does not compile: ${e.message}`);
      });
      assets.set(`/${name.slice(0, -3)}.js`, { body: Buffer.from(js.code), type: "text/javascript; charset=utf-8" });
      continue;
    }
    const type = staticTypes[name.slice(name.lastIndexOf("."))];
    if (type) assets.set(`/${name}`, { body: readFileSync(source), type });
  }
  const index = assets.get("/index.html");
  if (!index) throw new Error(`console page has no index.html in ${publicDir.pathname}`);
  assets.set("/", index);
  return assets;
}
