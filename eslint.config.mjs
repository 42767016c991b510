// ESLint for the browser pages' scripts in web/static: served as-is (no bundler, no build step),
// loaded with classic <script defer> tags, so they are scripts sharing the page's globals.
// `make lint-js` runs it (and `make test` first runs that).
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    files: ["web/static/**/*.js"],
    languageOptions: {
      ecmaVersion: "latest",
      sourceType: "script",
      globals: { ...globals.browser },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
];
