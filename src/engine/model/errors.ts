/** A model file whose hyperparameters or tensors are missing, contradictory or unsupported. */
export class ModelError extends Error {
  override readonly name = 'ModelError';
}
