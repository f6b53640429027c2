// The pre-flight in a conversion plan and its confirmation: for each planned connection, the
// pipelines that used it recently, the tasks of their last run, and the engine's warnings
// where a task or version is reported failing with workload identity federation. A warning,
// never a block: the Convert button stays the user's choice. Self-contained: it takes the
// engine's pre-flight and draws it, so it moves with the plan view wherever that goes.
import { h } from '../shared/dom.js';
import { withWords } from '../shared/engine.js';
import { ask, errorOf, type MessageOf, type Preflight, toErrorInfo } from '../shared/messages.js';

/** A planned connection, as the plan lists it: its id, name and the project its request goes to. */
export interface PlannedConnection {
  id: string;
  name: string | null;
  project: string;
}

function when(iso: string | null): string {
  if (!iso) return 'unknown time';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 10);
}

/** Draws the engine's pre-flight into `slot`. */
export function renderPreflight(slot: HTMLElement, preflight: Preflight, planned: PlannedConnection[]): void {
  const names = new Map(planned.map((p) => [p.id.toLowerCase(), p.name ?? p.id]));
  const total = preflight.warningCount;
  const head =
    total > 0
      ? `${total} warning${total === 1 ? '' : 's'}: some pipelines run tasks reported failing with workload identity federation. Check them before converting, or watch their next runs.`
      : 'No pipeline that used these connections runs a task known to fail with workload identity federation. Watch their next runs after converting.';
  slot.replaceChildren(
    h(
      'section',
      { class: 'preflight', 'aria-labelledby': 'preflight-title', 'data-preflight-warnings': String(total) },
      h('h4', { id: 'preflight-title' }, 'Pre-flight: the pipelines that use them'),
      h('p', { class: total > 0 ? 'preflight-head warn' : 'preflight-head' }, head),
      preflight.complete
        ? null
        : h(
            'p',
            { role: 'alert' },
            // ApiErrorData is the engine's tagged union: only some kinds carry a message.
            `The pre-flight stopped early${preflight.stopped ? ` (${withWords(errorOf(preflight.stopped.kind, 'message' in preflight.stopped ? preflight.stopped.message : '')).title})` : ''}: not every connection was checked.`,
          ),
      preflight.unchecked.length
        ? h(
            'p',
            { class: 'preflight-unchecked' },
            `${preflight.unchecked.length} more connection${preflight.unchecked.length === 1 ? ' was' : 's were'} not checked (the pre-flight reads at most ${preflight.connections.length} per plan): convert in smaller batches to check them.`,
          )
        : null,
      h(
        'ul',
        { class: 'preflight-connections' },
        ...preflight.connections.map((c) =>
          h(
            'li',
            { 'data-preflight-id': c.id, 'data-preflight-warnings': String(c.warningCount) },
            h('strong', {}, names.get(c.id.toLowerCase()) ?? c.id),
            `: ${c.summary}`,
            c.pipelines.length
              ? h(
                  'ul',
                  {},
                  ...c.pipelines.map((p) =>
                    h(
                      'li',
                      { 'data-pipeline': p.definitionName ?? String(p.definitionId ?? '') },
                      `${p.definitionName ?? `#${p.definitionId ?? '?'}`} (${p.planType === 'release' ? 'release pipeline' : 'pipeline'}), last run ${when(p.lastRun)}: ${p.result ?? 'no result'}.`,
                      p.tasks.length ? ` Tasks: ${p.tasks.map((t) => `${t.name}@${t.version ?? '?'}`).join(', ')}.` : '',
                      p.tasksUnknown ? ` ${p.tasksUnknown}` : '',
                      p.warnings.length
                        ? h(
                            'ul',
                            { class: 'preflight-warnings' },
                            ...p.warnings.map((w) =>
                              h(
                                'li',
                                { class: 'warn', 'data-task': w.task },
                                h('strong', {}, 'Warning: '),
                                `${w.task}@${w.version ?? '?'}: ${w.message} `,
                                h('span', { class: 'source' }, `(Source: ${w.source}.)`),
                              ),
                            ),
                          )
                        : null,
                    ),
                  ),
                )
              : null,
          ),
        ),
      ),
    ),
  );
  slot.dataset.preflight = 'done';
}

/**
 * Runs the pre-flight of the planned connections (read-only requests through the tab's page,
 * in the service worker) and draws it into `slot`; a failure says so and blocks nothing.
 */
export async function attachPreflight(slot: HTMLElement, apiBase: string, tabId: number, planned: PlannedConnection[]): Promise<void> {
  if (planned.length === 0) return;
  slot.dataset.preflight = 'running';
  slot.replaceChildren(
    h(
      'p',
      { role: 'status' },
      `Pre-flight: reading the pipelines that used ${planned.length === 1 ? 'this connection' : `these ${planned.length} connections`}…`,
    ),
  );
  const message: MessageOf<'usage.preflight'> = {
    type: 'usage.preflight',
    apiBase,
    tabId,
    targets: planned.map((p) => ({ id: p.id, project: p.project })),
  };
  let preflight: Preflight;
  try {
    preflight = await ask(message);
  } catch (err) {
    const d = withWords(toErrorInfo(err, 'network'));
    slot.replaceChildren(
      h('p', { role: 'status', class: 'preflight-failed' }, `Pre-flight unavailable: ${d.title}. The plan can still be confirmed.`),
    );
    slot.dataset.preflight = 'failed';
    return;
  }
  renderPreflight(slot, preflight, planned);
}
