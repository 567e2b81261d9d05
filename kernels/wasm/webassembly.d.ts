/**
 * The few WebAssembly JS-API types the wasm backend uses. TypeScript ships them only in its DOM and
 * webworker libraries, which this project leaves out (the code must not lean on browser globals).
 */
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
    grow(pages: number): number;
  }
  interface ModuleExportDescriptor {
    kind: 'function' | 'global' | 'memory' | 'table' | 'tag';
    name: string;
  }
  class Module {
    constructor(bytes: Uint8Array);
    static exports(module: Module): ModuleExportDescriptor[];
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  function validate(bytes: Uint8Array): boolean;
}
