// Records which source the shipped build came from: a test compares this hash
// with the checkout's source and fails when the build is stale. Keep in step
// with source_hash() in saleor_storecredit/dashboard/assets.py.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const FILES = ["index.html", "package.json", "package-lock.json", "vite.config.js"];
const DIRS = ["src", "scripts"];

function walk(dir) {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const paths = [...FILES.map(name => join(root, name)), ...DIRS.flatMap(dir => walk(join(root, dir)))];
const rel = path => relative(root, path).split(sep).join("/");
const sorted = paths.map(path => [rel(path), path]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const hash = createHash("sha256");
for (const [name, path] of sorted) {
  hash.update(Buffer.concat([Buffer.from(name), Buffer.from([0])]));
  hash.update(Buffer.concat([readFileSync(path), Buffer.from([0])]));
}
const outFile = join(root, "..", "saleor_storecredit", "dashboard", "static", "build-stamp.json");
writeFileSync(outFile, JSON.stringify({ sourceHash: hash.digest("hex") }, null, 2) + "\n");
console.log(`wrote ${rel(outFile)}`);
