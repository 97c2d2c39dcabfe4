// The dashboard grid: react-grid-layout's Responsive grid, measured by WidthProvider.
// Drag by the card's handle (`.widget-drag-handle`), resize from the corner; the handle is
// a focusable button: arrow keys move the widget, Shift+arrows resize it. Every change is
// saved once, `saveDelay` ms after the last drag/resize/key stop, through `onLayoutSave`.
// The geometry (`breakpoints`, `cols`, `rowHeight`) comes from command_center/dashboards/
// layout.py, the same numbers the server repairs layouts with.
import React, { useCallback, useEffect, useRef, useState } from "react";
import RGL from "react-grid-layout";
import "react-grid-layout/css/styles.css";
import "react-resizable/css/styles.css";

const { Responsive, WidthProvider, utils } = RGL;
const ResponsiveGrid = WidthProvider(Responsive);
const KEYS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

const plain = (layout) => layout.map(({ i, x, y, w, h }) => ({ i, x, y, w, h }));

// the widest breakpoint `width` reaches (the names are in descending order)
function breakpointFor(breakpoints, width) {
  const names = Object.keys(breakpoints);
  return names.find((name) => width >= breakpoints[name]) || names[names.length - 1];
}

export default function DashboardGrid({
  layouts,
  onLayoutSave,
  children,
  breakpoints,
  cols,
  rowHeight,
  saveDelay = 400,
  ...rest
}) {
  const incoming = JSON.stringify(layouts || {});
  const [local, setLocal] = useState(() => JSON.parse(incoming));
  const [announcement, setAnnouncement] = useState("");
  const breakpoint = useRef("lg");
  const current = useRef(local);
  const timer = useRef(null);
  const container = useRef(null);

  useEffect(() => {
    // a change made here and not saved yet wins over what the server sends meanwhile
    // (e.g. the echo of the previous save arriving while a resize is pending)
    if (timer.current !== null) return;
    const next = JSON.parse(incoming);
    current.current = next;
    setLocal(next);
  }, [incoming]);
  useEffect(() => () => clearTimeout(timer.current), []);

  const commit = useCallback(
    (layout) => {
      if (container.current) {
        breakpoint.current = breakpointFor(breakpoints, container.current.offsetWidth);
      }
      const next = { ...current.current, [breakpoint.current]: plain(layout) };
      current.current = next;
      setLocal(next);
      clearTimeout(timer.current);
      timer.current = setTimeout(() => {
        timer.current = null;
        if (onLayoutSave) onLayoutSave(current.current);
      }, saveDelay);
    },
    [breakpoints, onLayoutSave, saveDelay],
  );

  const onKeyDown = useCallback(
    (event) => {
      const handle = event.target.closest && event.target.closest("[data-grid-handle]");
      if (!handle || !KEYS[event.key]) return;
      event.preventDefault();
      const id = handle.getAttribute("data-grid-handle");
      if (container.current) {
        breakpoint.current = breakpointFor(breakpoints, container.current.offsetWidth);
      }
      const width = cols[breakpoint.current];
      const source = current.current[breakpoint.current] || current.current.lg || [];
      const layout = utils.cloneLayout(source);
      const item = utils.getLayoutItem(layout, id);
      if (!item) return;
      const [dx, dy] = KEYS[event.key];
      let moved = layout;
      if (event.shiftKey) {
        item.w = Math.max(1, Math.min(width - item.x, item.w + dx));
        item.h = Math.max(2, item.h + dy);
      } else if (dy > 0) {
        // jump below the item underneath (a 1-row step would be compacted straight back)
        const below = layout
          .filter((o) => o.i !== id && o.y >= item.y + item.h - 1 && o.x < item.x + item.w && item.x < o.x + o.w)
          .sort((a, b) => a.y - b.y)[0];
        const y = below ? below.y + below.h : item.y + 1;
        moved = utils.moveElement(layout, item, item.x, y, true, false, "vertical", width, false);
      } else {
        const x = Math.max(0, Math.min(width - item.w, item.x + dx));
        const y = Math.max(0, item.y + dy);
        moved = utils.moveElement(layout, item, x, y, true, false, "vertical", width, false);
      }
      const compacted = utils.compact(moved, "vertical", width);
      const placed = utils.getLayoutItem(compacted, id);
      commit(compacted);
      setAnnouncement(
        `${handle.getAttribute("aria-label") || id}: column ${placed.x + 1}, row ${placed.y + 1}, ` +
          `${placed.w} wide, ${placed.h} high`,
      );
      requestAnimationFrame(() => handle.focus());
    },
    [breakpoints, cols, commit],
  );

  return (
    <div ref={container} onKeyDown={onKeyDown} {...rest}>
      <ResponsiveGrid
        layouts={local}
        breakpoints={breakpoints}
        cols={cols}
        rowHeight={rowHeight}
        margin={[12, 12]}
        containerPadding={[0, 0]}
        draggableHandle=".widget-drag-handle"
        draggableCancel=".widget-no-drag"
        compactType="vertical"
        onBreakpointChange={(name) => {
          breakpoint.current = name;
        }}
        onDragStop={commit}
        onResizeStop={commit}
      >
        {children}
      </ResponsiveGrid>
      <div aria-live="polite" className="visually-hidden" data-testid="grid-announcer">
        {announcement}
      </div>
    </div>
  );
}
