// Types of build-state.mjs (plain JavaScript: bin/sesame.js imports it before any loader).
export declare const ROOT: string;
export declare const DIST: string;
export declare const STAMP: string;
export declare function distIsCurrent(root?: string): boolean;
