import { fileURLToPath } from "node:url";

import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const outDir = fileURLToPath(new URL("../saleor_storecredit/dashboard/static", import.meta.url));

// Macaw ships every weight of Inter and Geist (4 MB); the pages use the Inter
// upright variable font only, as the Dashboard does (`html { font-family: Inter var }`).
const KEEP_FONT = /url\(\.\/Inter-roman\.var\.woff2\)/;

function onlyInterVar() {
  return {
    name: "storecredit-only-inter-var",
    enforce: "pre",
    transform(code, id) {
      if (!id.includes("@saleor/macaw-ui") || !id.split("?")[0].endsWith(".css")) return null;
      return code.replace(/@font-face\{[^}]*\}/g, rule => (KEEP_FONT.test(rule) ? rule : ""));
    },
  };
}

export default defineConfig({
  base: "./",
  plugins: [onlyInterVar(), react()],
  build: {
    outDir,
    emptyOutDir: true,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2000,
  },
});
