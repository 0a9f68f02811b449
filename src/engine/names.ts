/**
 * The engine names (docs/design.md §6), apart from the engines themselves so that the CLI can list
 * them without loading the WebAssembly and BLAS backends (`shiren --version` stays instant).
 */
export const ENGINES = ['auto', 'blas', 'wasm', 'reference'] as const;
export type EngineName = (typeof ENGINES)[number];
