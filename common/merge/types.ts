/** Injected I/O and context for the merge-config checks (the core does no I/O of its own). */
export interface MergeFileSystem {
  exists(absPath: string): boolean;
  /** A small JSON file (a model's config.json, adapter_config.json); undefined when absent or unreadable. */
  readJson(absPath: string): unknown;
}

export interface MergeEnv {
  /** Absolute path of the config file: relative model paths resolve against its folder first. */
  configPath?: string;
  workspaceRoots?: readonly string[];
  /** The CLI passes the working directory; the server does not. */
  cwd?: string;
  fs?: MergeFileSystem;
  /** `tunelab merge`: what Tunelab cannot run (methods, union vocabularies) is an error, not a note. */
  requireRunnable?: boolean;
  skipPathChecks?: boolean;
}
