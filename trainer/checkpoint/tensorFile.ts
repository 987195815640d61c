/**
 * Tensor files for checkpoints: F32 safetensors through the model side's reader and writer
 * (trainer/io), so checkpoint weights and optimizer moments are exact float32 copies.
 */
import { readSafetensors, writeSafetensors } from '../io/index';
import type { HostTensor } from '../model/index';

export type { HostTensor };

export function writeTensors(path: string, tensors: Map<string, HostTensor>, metadata: Record<string, string> = {}): void {
  writeSafetensors(path, tensors, { dtype: 'F32', metadata });
}

export function readTensors(path: string): { tensors: Map<string, HostTensor>; metadata: Record<string, string> } {
  return readSafetensors(path);
}
