// Types of engines.mjs: the browser engines the real-browser tests and bench/browsers.mjs drive.
export type EngineName = 'Chromium' | 'Firefox' | 'WebKit';
export declare const ENGINES: readonly EngineName[];
/** Set LUCID_OPTIM_CHROMIUM / LUCID_OPTIM_FIREFOX / LUCID_OPTIM_WEBKIT to use other binaries. */
export declare const BINARIES: Record<EngineName, string>;
/**
 * The first script of every page the tests open: it keeps the page's uncaught errors and unhandled
 * rejections in `window.uncaughtErrors`, which `EnginePage.errors()` reads.
 */
export declare const UNCAUGHT_ERRORS_SCRIPT: string;
export interface Viewport {
  width: number;
  height: number;
}
export interface FileInput {
  name: string;
  mimeType: string;
  bytes: Uint8Array;
}
export interface EnginePage {
  goto(url: string): Promise<void>;
  /** Runs `fn(arg)` in the page (its source only: it may not use anything from the test's scope) and returns its JSON-able result. */
  evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R>;
  /** Waits until `fn(arg)` is truthy in the page, polling (90 s, then an error quoting `fn`). */
  waitFor<A>(fn: (arg: A) => unknown, arg?: A): Promise<void>;
  /** A real click on the element `selector` selects. */
  click(selector: string): Promise<void>;
  /** Gives the file input `selector` one file, as a person choosing it does (its `change` fires). */
  setInputFile(selector: string, file: FileInput): Promise<void>;
  /** Clicks `selector` and returns the file the page offers as a download (an `<a download>` of a blob). */
  download(selector: string): Promise<{
    name: string;
    bytes: Buffer;
  }>;
  screenshot(path: string): Promise<void>;
  /** The page's uncaught errors so far (see UNCAUGHT_ERRORS_SCRIPT). */
  errors(): Promise<string[]>;
  close(): Promise<void>;
}
export interface Engine {
  name: EngineName;
  /** The browser's version, as it reports it, e.g. "Firefox 153.8.0". */
  version: string;
  newPage(viewport?: Viewport): Promise<EnginePage>;
  close(): Promise<void>;
}
export declare function launch(name: EngineName): Promise<Engine>;
