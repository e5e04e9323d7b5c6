// The parts of the WebAssembly JavaScript API (https://webassembly.github.io/spec/js-api/)
// that line-record-bytes.ts uses. Node has them all; TypeScript declares them only in its
// DOM and worker libraries, which would bring in every browser global.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number });
    readonly buffer: ArrayBuffer;
    /** Grows by `pages` of 64 KiB; returns the old size in pages. Detaches the old `buffer`. */
    grow(pages: number): number;
  }
  function validate(bytes: Uint8Array): boolean;
}
