// The Rollup config of the bundled app: @rollup/plugin-node-resolve as its README's usage shows
// it, with no options (its default export conditions include "default", which selects the
// package's browser entries), and Rollup's default output format (ES modules).
import { nodeResolve } from "@rollup/plugin-node-resolve";

export default {
  input: "main.js",
  output: { dir: "dist" },
  plugins: [nodeResolve()],
};
