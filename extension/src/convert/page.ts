// convert.html: the conversion views as a page of their own (opened by the panel, the card or
// a mark, as an overlay or a tab). URL parameters say what to show:
//   view=plan|history|job|revert, org, apiBase, project, tab, ids (comma list), direction,
//   job, deadline, name.
// The tab is the Azure DevOps tab whose page relays the requests; in an overlay iframe it is
// the tab the frame is in.
import { renderHistory, renderJob, renderPlan, renderRevert } from './ui.js';
import type { Direction } from './types.js';

const root = document.getElementById('convert')!;
const q = new URLSearchParams(location.search);

async function currentTab(): Promise<number | null> {
  const fromUrl = Number(q.get('tab'));
  if (Number.isInteger(fromUrl) && fromUrl > 0) return fromUrl;
  const tab = await chrome.tabs.getCurrent().catch(() => undefined);
  return tab?.id ?? null;
}

async function main(): Promise<void> {
  const org = q.get('org') ?? '';
  const apiBase = q.get('apiBase') ?? '';
  const tabId = await currentTab();
  const tab = () => tabId;
  const view = q.get('view') ?? 'plan';
  if (!org) throw new Error('No organization given.');
  if (view === 'history') return renderHistory(root, org, tab);
  if (view === 'job') return renderJob(root, org, q.get('job') ?? '', tab);
  if (tabId === null) throw new Error('Open this from an Azure DevOps page: it needs the page to send requests.');
  const target = { organizationName: org, apiBase, projectName: q.get('project'), tabId };
  if (view === 'revert') {
    return renderRevert(root, target, { id: q.get('ids') ?? '', name: q.get('name'), revertDeadline: q.get('deadline') });
  }
  const ids = q.get('ids');
  const direction: Direction = q.get('direction') === 'revert' ? 'revert' : 'convert';
  return renderPlan(root, {
    target,
    direction,
    selected: ids ? ids.split(',').filter(Boolean) : null,
    allowManual: q.get('manual') === '1',
    concurrency: Number(q.get('concurrency')) || undefined,
  });
}

main().then(
  () => {
    document.documentElement.dataset.federate = 'ready';
  },
  (err: unknown) => {
    root.textContent = err instanceof Error ? err.message : String(err);
    root.dataset.convertState = 'error';
    document.documentElement.dataset.federate = 'error';
  },
);
