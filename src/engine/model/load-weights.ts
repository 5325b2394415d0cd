import type { ModelWeights, WeightTensor } from '../backend/backend.js';
import type { GGUFFile } from '../gguf/reader.js';
import { ggmlTypeName } from '../quant/ggml-type.js';
import { findQuantType } from '../quant/registry.js';
import type { ModelConfig } from './config.js';
import { ModelError } from './errors.js';
import { configFromGGUF } from './hparams.js';
import { checkTensors } from './tensors.js';

/** Parses the hyperparameters, checks every tensor the architecture needs, and reads the weights. */
export function loadWeights(file: GGUFFile): ModelWeights {
  const config: ModelConfig = configFromGGUF(file.metadata, file.tensors);
  checkTensors(config, new Map(file.tensors.map((t) => [t.name, t.dims])));
  const tensors = new Map<string, WeightTensor>();
  for (const info of file.tensors) {
    if (!findQuantType(info.type)) {
      throw new ModelError(`tensor ${info.name} is ${ggmlTypeName(info.type)}, a type this engine cannot compute with yet`);
    }
    tensors.set(info.name, { name: info.name, type: info.type, dims: info.dims, data: file.tensorData(info) });
  }
  return { config, tensors };
}
