/**
 * Python engines (Axolotl, the Hugging Face Trainer runner): the pure parts shared by the CLI,
 * which launches them, and the extension, which offers them: the environment probe and its
 * verdict, the interpreter search, the command line, the derived config, the hf subset check and
 * Python failure messages.
 */
export { describeProbe, ENGINES, missingPieces, parseProbe, PROBE_SCRIPT } from './probe';
export type { EngineName, EnvProbe, MissingPiece, Requirements, TorchInfo } from './probe';
export { findPython } from './python';
export type { PythonChoice, PythonSearch } from './python';
export { engineCommand } from './command';
export type { EngineLaunch } from './command';
export { AXOLOTL_PLUGIN, deriveConfig } from './derivedConfig';
export type { DeriveOptions } from './derivedConfig';
export { checkHfSupport, HF_SUPPORTED } from './hfSupport';
export { pythonFailure } from './traceback';
