/**
 * The allowed module graph of src/ (docs/ARCHITECTURE.md draws it), checked by `npm test`.
 *
 * Each top-level module has a rank; a module may import only modules of a LOWER rank (never one of
 * its own rank but itself, never a higher one). That keeps the graph between modules acyclic and
 * downward: the doors (web, the CLI, main) on top, the composition root (services.ts) under them,
 * the feature modules in the middle, storage/config/i18n/shared at the bottom.
 */
const RANKS = {
  shared: 0,
  config: 1,
  storage: 1,
  i18n: 1,
  audit: 2,
  directory: 3,
  identity: 4,
  recovery: 5,
  mail: 5,
  demo: 6,
  imap: 6,
  console: 6,
  operations: 6,
  "services.ts": 7,
  web: 8,
  "main.ts": 9,
  "cli.ts": 10,
};

/** The path pattern of a module: a folder of src/, or a file at its root. */
const pathOf = (name) => (name.endsWith(".ts") ? `^src/${name.replace(".", "\\.")}$` : `^src/${name}/`);

const layering = Object.entries(RANKS).flatMap(([from, rank]) => {
  const above = Object.entries(RANKS)
    .filter(([other, otherRank]) => other !== from && otherRank >= rank)
    .map(([other]) => other);
  if (above.length === 0) return [];
  return [
    {
      name: `layering-${from}`,
      comment: `${from} (rank ${rank}) imports only modules of a lower rank: not ${above.join(", ")}`,
      severity: "error",
      from: { path: pathOf(from) },
      to: { path: above.map(pathOf) },
    },
  ];
});

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "No file imports itself through others.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    ...layering,
    {
      name: "repository-outside-its-module",
      comment: "Only a module's own services use its repositories (modules talk through services).",
      severity: "error",
      from: { path: "^src/([^/]+)/" },
      to: { path: "^src/[^/]+/.*\\.repository\\.ts$", pathNot: "^src/$1/" },
    },
    {
      name: "repository-from-a-door",
      comment: "The composition root and the doors reach repositories only through services.",
      severity: "error",
      from: { path: "^src/[^/]+\\.tsx?$" },
      to: { path: "\\.repository\\.ts$" },
    },
    {
      name: "not-to-unresolvable",
      comment: "Every import resolves.",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    tsConfig: { fileName: "tsconfig.json" },
    // Type-only imports count too: a type is a dependency of the module that names it.
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
    exclude: { path: "\\.test\\.tsx?$" },
    enhancedResolveOptions: {
      extensions: [".ts", ".tsx", ".js", ".cjs", ".mjs", ".json", ".d.ts"],
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default"],
      mainFields: ["module", "main", "types", "typings"],
    },
  },
};
