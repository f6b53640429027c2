// The panel: an extension page (wasm allowed, isolated from the page's scripts).
import { loadEngine } from './engine.js';

const app = document.getElementById('app')!;
loadEngine().then(
  () => {
    app.textContent = 'Federate is ready.';
    document.documentElement.dataset.federate = 'ready';
  },
  (err: unknown) => {
    app.textContent = `The engine could not load: ${err instanceof Error ? err.message : String(err)}`;
    document.documentElement.dataset.federate = 'error';
  },
);
