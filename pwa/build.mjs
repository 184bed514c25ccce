// Placeholder build: copies the static shell into dist/. The real app (Vite) replaces it.
import { cpSync, mkdirSync, rmSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
mkdirSync("dist", { recursive: true });
cpSync("public", "dist", { recursive: true });
console.log("pwa: dist/ written");
