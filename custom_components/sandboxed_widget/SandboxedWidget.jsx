// Parent side of the custom-widget sandbox: an <iframe sandbox="allow-scripts"> (never
// allow-same-origin) running assets/sandbox/run.html, fed by postMessage, watched by a
// heartbeat. Failures render as typed error cards: syntax, runtime, scope, timeout.
import React, { useCallback, useEffect, useRef, useState } from "react";

const PROTOCOL = "cc-widget/1";
const KINDS = {
  syntax: "Syntax error",
  runtime: "Runtime error",
  scope: "Scope violation",
  timeout: "Timeout",
};
const MIN_HEIGHT = 40;
const MAX_HEIGHT = 640;
const PROBATION_MS = 3000;
const MAX_MESSAGE = 500; // characters of an error message kept
const MAX_ID = 128;
// The runtime sends 4 heartbeats a second plus a few size/rendered/error messages; a frame
// that sends more than FLOOD_LIMIT in FLOOD_WINDOW_MS is flooding the page's main thread.
const FLOOD_LIMIT = 200;
const FLOOD_WINDOW_MS = 1000;
const own = (object, key) => Object.prototype.hasOwnProperty.call(object, key);

// Chromium isolates sandboxed frames from the page, but frames of one site share a process:
// one endless loop stalls every custom widget. The watchdog stops all of them; this
// coordinator then restarts the stalled widgets one at a time ("probation"). A widget that
// stalls on probation is the culprit and stays stopped; one that stalls while another is on
// probation was collateral and is queued again.
const coordinator = { probing: null, queue: [], timer: null };

function nextProbe() {
  if (coordinator.probing || coordinator.queue.length === 0) return;
  const entry = coordinator.queue.shift();
  coordinator.probing = entry;
  entry.restart();
  coordinator.timer = setTimeout(() => {
    if (coordinator.probing === entry) coordinator.probing = null;
    nextProbe();
  }, PROBATION_MS + entry.startBudget);
}

// The widget on probation rendered (or failed visibly): it passes if it keeps beating.
function probeAnswered(id) {
  const entry = coordinator.probing;
  if (!entry || entry.id !== id || entry.answered) return;
  entry.answered = true;
  clearTimeout(coordinator.timer);
  coordinator.timer = setTimeout(() => {
    if (coordinator.probing === entry) coordinator.probing = null;
    nextProbe();
  }, PROBATION_MS);
}

// Returns true when this widget is the culprit (stop it for good).
function reportStall(entry) {
  if (coordinator.probing && coordinator.probing.id === entry.id) {
    clearTimeout(coordinator.timer);
    coordinator.probing = null;
    setTimeout(nextProbe, 0);
    return true;
  }
  if (!coordinator.queue.some((e) => e.id === entry.id)) coordinator.queue.push(entry);
  setTimeout(nextProbe, 0);
  return false;
}

// Shape check of a message from the iframe (its source was checked by the caller): a fresh
// object holding only the checked fields, or null. Kinds are own keys of KINDS (a forged
// "__proto__" or "constructor" must not reach the error card); strings are size-limited.
function checkedMessage(data) {
  if (data === null || typeof data !== "object" || Array.isArray(data) || data.cc !== PROTOCOL) {
    return null;
  }
  const number = (value) => (typeof value === "number" && Number.isFinite(value) ? value : 0);
  switch (data.type) {
    case "ready":
    case "heartbeat":
      return { type: data.type };
    case "size":
      return typeof data.height === "number" && Number.isFinite(data.height)
        ? { type: "size", height: data.height }
        : null;
    case "error":
      if (typeof data.kind !== "string" || !own(KINDS, data.kind) || typeof data.message !== "string") {
        return null;
      }
      return { type: "error", kind: data.kind, message: data.message.slice(0, MAX_MESSAGE) };
    case "rendered":
      return {
        type: "rendered",
        id: typeof data.id === "string" ? data.id.slice(0, MAX_ID) : "",
        compileMs: number(data.compileMs),
        renderMs: number(data.renderMs),
        loadMs: number(data.loadMs),
        cached: data.cached === true,
      };
    default:
      return null;
  }
}

function ErrorCard({ kind, message, onReload }) {
  return React.createElement(
    "div",
    {
      className: "cc-widget-error",
      "data-error-kind": kind,
      role: "alert",
      style: {
        border: "1px solid var(--red-7, #ef4444)",
        background: "var(--red-2, #fef2f2)",
        color: "var(--red-11, #991b1b)",
        borderRadius: "8px",
        padding: "10px 12px",
        fontSize: "13px",
      },
    },
    React.createElement("strong", { style: { display: "block" } }, own(KINDS, kind) ? KINDS[kind] : "Error"),
    React.createElement("span", { style: { wordBreak: "break-word" } }, String(message || "").slice(0, 500)),
    onReload
      ? React.createElement(
          "button",
          { type: "button", className: "cc-widget-reload", onClick: onReload, style: { marginLeft: "8px" } },
          "Reload",
        )
      : null,
  );
}

function SandboxedWidgetFrame({
  widgetId = "",
  source = "",
  compiled = "",
  displayName = "",
  rows = [],
  columns = [],
  runtimeUrl = "/sandbox/run.html",
  heartbeatTimeoutMs = 2000,
  startTimeoutMs = 20000,
  onRendered,
}) {
  const frame = useRef(null);
  const instanceId = useRef(Math.random().toString(36).slice(2));
  const ready = useRef(false);
  const lastBeat = useRef(0);
  const mountedAt = useRef(0);
  const [generation, setGeneration] = useState(0);
  const [error, setError] = useState(null);
  const [stopped, setStopped] = useState(false);
  const [height, setHeight] = useState(120);
  const latest = useRef({ source, compiled, displayName, rows, columns, widgetId });
  latest.current = { source, compiled, displayName, rows, columns, widgetId };
  const renderedCallback = useRef(onRendered);
  renderedCallback.current = onRendered;

  const send = useCallback(() => {
    const target = frame.current && frame.current.contentWindow;
    if (!ready.current || !target) return;
    const current = latest.current;
    target.postMessage(
      {
        cc: PROTOCOL,
        type: "render",
        id: String(current.widgetId),
        source: String(current.source),
        compiled: String(current.compiled || ""),
        displayName: String(current.displayName),
        props: { rows: Array.isArray(current.rows) ? current.rows : [], columns: current.columns || [] },
      },
      "*",
    );
  }, []);

  useEffect(() => {
    ready.current = false;
    mountedAt.current = performance.now();
    let done = false;
    let floodStart = 0;
    let floodCount = 0;
    function onMessage(event) {
      if (done || !frame.current || event.source !== frame.current.contentWindow) return;
      const now = performance.now();
      if (now - floodStart > FLOOD_WINDOW_MS) {
        floodStart = now;
        floodCount = 0;
      }
      if (++floodCount > FLOOD_LIMIT) {
        // the culprit is this frame (its own messages): stop it for good, no probation
        done = true;
        ready.current = false;
        setStopped(true);
        setError({
          kind: "scope",
          message: `message flood: more than ${FLOOD_LIMIT} messages in ${FLOOD_WINDOW_MS / 1000} s; the component was stopped`,
        });
        return;
      }
      const data = checkedMessage(event.data);
      if (data === null) return;
      if (data.type === "ready") {
        ready.current = true;
        lastBeat.current = performance.now();
        send();
      } else if (data.type === "heartbeat") {
        lastBeat.current = performance.now();
      } else if (data.type === "rendered") {
        probeAnswered(instanceId.current);
        setError(null);
        if (renderedCallback.current) renderedCallback.current(data);
      } else if (data.type === "error") {
        probeAnswered(instanceId.current);
        setError({ kind: data.kind, message: data.message });
      } else if (data.type === "size") {
        setHeight(Math.max(MIN_HEIGHT, Math.min(MAX_HEIGHT, Math.ceil(data.height))));
      }
    }
    window.addEventListener("message", onMessage);
    const watchdog = setInterval(() => {
      const now = performance.now();
      if (done) return;
      const silent = ready.current && now - lastBeat.current > heartbeatTimeoutMs;
      const unborn = !ready.current && now - mountedAt.current > startTimeoutMs;
      if (silent || unborn) {
        // a frame that never started was most likely starved by a loop in its process
        done = true;
        ready.current = false;
        const seconds = Math.round((now - (silent ? lastBeat.current : mountedAt.current)) / 1000);
        setStopped(true); // unmounting the iframe ends its busy process
        const culprit = reportStall({
          id: instanceId.current,
          startBudget: startTimeoutMs,
          restart: () => {
            setStopped(false);
            setError(null);
            setGeneration((g) => g + 1);
          },
        });
        setError({
          kind: "timeout",
          message: culprit
            ? `no heartbeat for ${seconds} s: the component was stopped (endless loop?)`
            : `no heartbeat for ${seconds} s: the sandbox was stopped; restarting`,
        });
      }
    }, 250);
    return () => {
      window.removeEventListener("message", onMessage);
      clearInterval(watchdog);
    };
  }, [generation, heartbeatTimeoutMs, startTimeoutMs, send]);

  // New data or a new component: re-render inside the sandbox (warm: no recompile).
  useEffect(() => {
    send();
  }, [source, displayName, rows, columns, send]);

  // A new component after a stop or an error gets a fresh sandbox.
  const shownSource = useRef(source);
  useEffect(() => {
    if (shownSource.current === source) return;
    shownSource.current = source;
    if (stopped || error) {
      setStopped(false);
      setError(null);
      setGeneration((g) => g + 1);
    }
  }, [source, stopped, error]);

  const reload = () => {
    setStopped(false);
    setError(null);
    setGeneration((g) => g + 1);
  };

  return React.createElement(
    "div",
    { className: "cc-sandboxed-widget", "data-widget-id": widgetId, "data-state": stopped ? "stopped" : error ? "error" : "running" },
    error ? React.createElement(ErrorCard, { kind: error.kind, message: error.message, onReload: stopped ? reload : null }) : null,
    stopped
      ? null
      : React.createElement("iframe", {
          key: generation,
          ref: frame,
          src: runtimeUrl,
          sandbox: "allow-scripts",
          referrerPolicy: "no-referrer",
          title: `${displayName || "custom"} widget`,
          className: "cc-sandbox-frame",
          style: { width: "100%", height: `${height}px`, border: "0", display: error ? "none" : "block" },
        }),
  );
}

// Second line for the page: whatever goes wrong in this widget's parent-side code stays in
// its card (React would otherwise unmount the whole dashboard).
class Contained extends React.Component {
  constructor(props) {
    super(props);
    this.state = { failed: null };
  }
  static getDerivedStateFromError(error) {
    return { failed: String((error && error.message) || error) };
  }
  render() {
    if (this.state.failed !== null) {
      return React.createElement(ErrorCard, { kind: "runtime", message: this.state.failed, onReload: null });
    }
    return React.createElement(SandboxedWidgetFrame, this.props);
  }
}

export default function SandboxedWidget(props) {
  return React.createElement(Contained, props);
}
