// The popup and options page: open the panel on the current Azure DevOps tab, choose the
// organizations Federate is active on (default: all), and a short about.
import { isAzureDevOpsUrl, type Message, type Reply } from '../shared/messages.js';

/** The stored setting: every organization, or only the listed ones. */
interface Organizations {
  mode: 'all' | 'only';
  names: string[];
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const all = $<HTMLInputElement>('mode-all');
const only = $<HTMLInputElement>('mode-only');
const names = $<HTMLTextAreaElement>('names');
const saved = $<HTMLElement>('saved');
const open = $<HTMLButtonElement>('open-panel');
const openStatus = $<HTMLElement>('open-status');

function parseNames(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter((s) => /^[\w.-]{1,100}$/.test(s)),
    ),
  ];
}

async function loadSettings(): Promise<void> {
  const { organizations } = (await chrome.storage.sync.get('organizations')) as { organizations?: Organizations };
  const mode = organizations?.mode === 'only' ? 'only' : 'all';
  (mode === 'only' ? only : all).checked = true;
  names.value = (organizations?.names ?? []).join('\n');
  names.disabled = mode !== 'only';
  document.documentElement.dataset.federate = 'ready';
}

async function save(): Promise<void> {
  const value: Organizations = { mode: only.checked ? 'only' : 'all', names: parseNames(names.value) };
  names.disabled = value.mode !== 'only';
  await chrome.storage.sync.set({ organizations: value });
  saved.textContent =
    value.mode === 'all'
      ? 'Saved: active on every organization. Reload Azure DevOps pages to apply.'
      : `Saved: active on ${value.names.length ? value.names.join(', ') : 'no organization'}. Reload Azure DevOps pages to apply.`;
}

for (const el of [all, only]) el.addEventListener('change', () => void save());
names.addEventListener('change', () => void save());

async function activeTab(): Promise<chrome.tabs.Tab | undefined> {
  const [tab] = await chrome.tabs.query({ active: true, lastFocusedWindow: true });
  return tab;
}

// The tab the popup was opened over: "this tab" is decided once, so the target can't change
// under the user's click if another window takes focus meanwhile.
const target = activeTab().then((tab) => {
  const ok = tab?.id !== undefined && isAzureDevOpsUrl(tab.url);
  open.disabled = !ok;
  if (!ok) openStatus.textContent = 'Open an Azure DevOps page to use the panel.';
  return ok ? tab : undefined;
});

open.addEventListener('click', async () => {
  const tab = await target;
  const reply = (await chrome.runtime.sendMessage({ type: 'openPanel', tabId: tab?.id ?? null } satisfies Message)) as
    | Reply<null>
    | undefined;
  if (reply?.ok) window.close();
  else openStatus.textContent = reply?.error.message ?? 'The panel could not open.';
});

$<HTMLElement>('version').textContent = chrome.runtime.getManifest().version;
void loadSettings();
