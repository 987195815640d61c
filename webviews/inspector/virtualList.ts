import { h } from '../shared/dom';

/** Row height in CSS pixels; rows are one line each. */
export const ROW_HEIGHT = 22;
/** Browsers stop scrolling past ~16-33 M pixels; above this the scroll range is compressed. */
const MAX_SCROLL_PX = 8_000_000;

/**
 * Where rows go for a scroll position: the first visible row and its pixel offset. With more
 * rows than MAX_SCROLL_PX allows, scrolling is mapped proportionally onto the row range, so a
 * 10M-row view still scrolls end to end. Pure, for tests.
 */
export function visibleRange(count: number, scrollTop: number, viewport: number, rowHeight = ROW_HEIGHT): { first: number; last: number; offset: number; spacer: number } {
  const total = count * rowHeight;
  const spacer = Math.min(total, MAX_SCROLL_PX);
  const ratio = spacer > viewport ? (total - viewport) / (spacer - viewport) : 1;
  const top = Math.max(0, scrollTop) * ratio;
  const first = Math.min(Math.max(0, count - 1), Math.floor(top / rowHeight));
  const offset = top - first * rowHeight;
  const last = Math.min(count - 1, first + Math.ceil((viewport + offset) / rowHeight) - 1);
  return { first, last, offset, spacer };
}

/**
 * A list that creates DOM for the visible rows only (a pool reused while scrolling), whatever
 * the number of rows. `renderRow` fills a pooled element for a row position, or shows a
 * placeholder when that row has not arrived yet.
 */
export class VirtualList {
  readonly el: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly pool: HTMLElement[] = [];
  private count = 0;

  constructor(
    private readonly renderRow: (el: HTMLElement, position: number) => void,
    private readonly onRange: (first: number, last: number) => void,
  ) {
    this.spacer = h('div', { class: 'vlist-spacer' });
    this.el = h('div', { class: 'vlist', attrs: { role: 'listbox', tabindex: 0, 'aria-label': 'Records' } }, this.spacer);
    this.el.addEventListener('scroll', () => this.draw(), { passive: true });
    new ResizeObserver(() => this.draw()).observe(this.el);
  }

  setCount(count: number): void {
    this.count = count;
    this.draw();
  }

  /** Scrolls so that a row position is visible. */
  reveal(position: number): void {
    const { first, last } = visibleRange(this.count, this.el.scrollTop, this.el.clientHeight);
    if (position >= first && position < last) return;
    const total = this.count * ROW_HEIGHT;
    const spacer = Math.min(total, MAX_SCROLL_PX);
    this.el.scrollTop = total === 0 ? 0 : (position * ROW_HEIGHT * spacer) / total;
  }

  /** Re-renders the visible rows (after new rows arrive or the selection changes). */
  draw(): void {
    const viewport = this.el.clientHeight || 400;
    const { first, last, offset, spacer } = visibleRange(this.count, this.el.scrollTop, viewport);
    this.spacer.style.height = `${spacer}px`;
    const n = this.count === 0 ? 0 : last - first + 1;
    while (this.pool.length < n) {
      const row = h('div', { class: 'vrow', attrs: { role: 'option' } });
      this.pool.push(row);
      this.el.appendChild(row);
    }
    for (let k = 0; k < this.pool.length; k++) {
      const row = this.pool[k]!;
      if (k >= n) {
        row.hidden = true;
        delete row.dataset.index;
        continue;
      }
      row.hidden = false;
      row.style.top = `${this.el.scrollTop + k * ROW_HEIGHT - offset}px`;
      this.renderRow(row, first + k);
    }
    if (n > 0) this.onRange(first, last);
  }
}
