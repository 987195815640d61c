/**
 * File formats of the trainer: safetensors, Hugging Face model directories and PEFT adapters.
 */
export type { FloatDtype, SafetensorsHeader, TensorInfo } from './safetensors';
export { encodeSafetensors, FLOAT_WIDTH, floatToBf16, floatToHalf, halfToFloat, readHeader, readSafetensors, SafetensorsError, safetensorsHeader, writeSafetensors } from './safetensors';
export type { SaveModelOptions } from './hfModel';
export { copyTokenizerFiles, loadModel, ModelDirError, readJsonFile, readModelConfig, readModelWeights, saveModelDir, TOKENIZER_FILES } from './hfModel';
export type { AdapterConfig, LoadedAdapter } from './adapter';
export { attachAdapter, loraPairs, mergeAdapter, parseLoraConfig, readAdapter, readAdapterConfig, saveAdapter } from './adapter';
export type { AdapterMerger, MergeRequest, MergeResult } from './merge';
export { mergeLora } from './merge';
