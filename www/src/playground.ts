// The docs page playground: the engine on pasted JSON, offline in the page.
import init, { classifyEndpoints } from '../../pkg/web/federate_wasm.js';

const input = document.getElementById('input') as HTMLTextAreaElement;
const output = document.getElementById('output')!;

await init({ module_or_path: new URL('./wasm/federate_wasm_bg.wasm', import.meta.url) });
document.documentElement.dataset.federate = 'ready';
document.getElementById('run')!.addEventListener('click', () => {
  try {
    output.textContent = JSON.stringify(classifyEndpoints(input.value), null, 2);
  } catch (err) {
    output.textContent = err instanceof Error ? err.message : String(err);
  }
});
