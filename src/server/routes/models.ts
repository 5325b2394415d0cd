import type { Handler, ServerState } from '../context.js';
import { modelNotFound, sendJson } from '../errors.js';

/** The served model in OpenAI's shape, plus what the web page shows (backend, architecture...). */
export function modelObject(state: ServerState): Record<string, unknown> {
  const info = state.model.info;
  return {
    id: state.modelId,
    object: 'model',
    created: state.created,
    owned_by: 'localgpt',
    localgpt: {
      name: info.name ?? null,
      architecture: info.architecture,
      parameters: info.parameters,
      quantisation: info.quantisation,
      context_length: info.contextLength,
      backend: info.backend,
      backend_description: info.backendDescription,
    },
  };
}

/** GET /v1/models */
export const listModels: Handler = ({ state, res }) => {
  sendJson(res, 200, { object: 'list', data: [modelObject(state)] });
};

/** GET /v1/models/{id} */
export const retrieveModel: Handler = ({ state, res, rest }) => {
  const id = decodeURIComponent(rest);
  if (id !== state.modelId) throw modelNotFound(id);
  sendJson(res, 200, modelObject(state));
};

/** GET /api/info: what the web page shows, and how busy the server is. */
export const serverInfo: Handler = ({ state, res }) => {
  sendJson(res, 200, {
    model: modelObject(state),
    queue: { running: state.queue.busy, waiting: state.queue.waiting },
  });
};
