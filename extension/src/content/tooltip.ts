// The reasons behind a mark, shown on hover and keyboard focus in one floating tooltip
// (dismissed with Escape, stays while hovered), and the guard that keeps clicks and keys
// on a mark from activating the row it sits in. Click, Enter or Space open the popover.
import { closePopover, installPopover, openPopover, placeByMark, popoverOpen, type PopoverHooks } from './popover.js';

const TOOLTIP_ID = 'federate-tooltip';
let current: HTMLElement | null = null;
let hideTimer = 0;

function tooltip(): HTMLElement {
  let tip = document.getElementById(TOOLTIP_ID);
  if (!tip) {
    tip = document.createElement('div');
    tip.id = TOOLTIP_ID;
    tip.className = 'federate-root federate-tooltip';
    // Screen readers get the same words through the mark's aria-description.
    tip.setAttribute('role', 'tooltip');
    tip.setAttribute('aria-hidden', 'true');
    tip.hidden = true;
    tip.addEventListener('mouseenter', () => clearTimeout(hideTimer));
    tip.addEventListener('mouseleave', () => hide());
    document.documentElement.append(tip);
  }
  return tip;
}

function show(mark: HTMLElement): void {
  clearTimeout(hideTimer);
  const text = mark.getAttribute('aria-description') || mark.textContent || '';
  const tip = tooltip();
  tip.textContent = text;
  tip.hidden = false;
  current = mark;
  const width = Math.min(360, window.innerWidth - 16);
  tip.style.maxWidth = `${width}px`;
  placeByMark(tip, mark, width);
  mark.dataset.federateTooltip = 'shown';
}

function hide(delay = 0): void {
  clearTimeout(hideTimer);
  const run = () => {
    const tip = document.getElementById(TOOLTIP_ID);
    if (tip) tip.hidden = true;
    if (current) delete current.dataset.federateTooltip;
    current = null;
  };
  if (delay > 0) hideTimer = window.setTimeout(run, delay);
  else run();
}

const markOf = (t: EventTarget | null): HTMLElement | null => (t instanceof Element ? t.closest<HTMLElement>('.federate-mark') : null);

/**
 * Installs the listeners once (capture phase on window, so the page's handlers never see
 * mark events): hover and focus show the reasons; click, Enter or Space open the popover.
 */
export function installMarkBehaviour(hooks: PopoverHooks): void {
  installPopover(hooks);
  const toggle = (mark: HTMLElement) => {
    hide();
    if (popoverOpen(mark.dataset.federateId)) closePopover(true);
    else openPopover(mark);
  };
  const swallow = (e: Event) => {
    const mark = markOf(e.target);
    if (!mark) return;
    e.stopPropagation();
    if (e.type === 'click' || e.type === 'auxclick') {
      e.preventDefault();
      if (e.type === 'click') toggle(mark);
    }
  };
  for (const type of ['click', 'auxclick', 'mousedown', 'mouseup', 'pointerdown', 'pointerup', 'dblclick', 'keyup', 'keypress']) {
    window.addEventListener(type, swallow, true);
  }
  window.addEventListener(
    'keydown',
    (e) => {
      const mark = markOf(e.target);
      if (e.key === 'Escape' && (current || (mark && popoverOpen()))) {
        hide();
        if (mark) {
          closePopover(true);
          e.stopPropagation();
        }
        return;
      }
      if (!mark) return;
      // Every key on a mark is ours (rows react to Enter, Space and arrows); Tab moves on.
      if (e.key !== 'Tab') e.stopPropagation();
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        toggle(mark);
      }
    },
    true,
  );
  document.addEventListener('mouseover', (e) => {
    const mark = markOf(e.target);
    if (mark && !popoverOpen(mark.dataset.federateId)) show(mark);
  });
  document.addEventListener('mouseout', (e) => {
    if (markOf(e.target) && !markOf(e.relatedTarget)) hide(200);
  });
  document.addEventListener('focusin', (e) => {
    const mark = markOf(e.target);
    if (mark && !popoverOpen()) show(mark);
    else if (current) hide();
  });
  document.addEventListener('focusout', (e) => {
    if (markOf(e.target)) hide();
  });
  window.addEventListener('scroll', () => current && hide(), { capture: true, passive: true });
}

/** Hides the tooltip and the popover (page change). */
export function hideTooltip(): void {
  hide();
  closePopover();
}
