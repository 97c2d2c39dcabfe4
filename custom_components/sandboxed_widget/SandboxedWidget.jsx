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
const TYPES = new Set(["ready", "heartbeat", "rendered", "error", "size"]);
const MIN_HEIGHT = 40;
const MAX_HEIGHT = 640;
const PROBATION_MS = 3000;

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

// Shape check of a message from the iframe (its source was checked by the caller).
function validMessage(data) {
  if (data === null || typeof data !== "object" || data.cc !== PROTOCOL || !TYPES.has(data.type)) {
    return false;
  }
  if (data.type === "error") return typeof data.kind === "string" && KINDS[data.kind] !== undefined;
  if (data.type === "size") return typeof data.height === "number" && Number.isFinite(data.height);
  return true;
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
    React.createElement("strong", { style: { display: "block" } }, KINDS[kind] || "Error"),
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

export default function SandboxedWidget({
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
    function onMessage(event) {
      if (!frame.current || event.source !== frame.current.contentWindow) return;
      const data = event.data;
      if (!validMessage(data)) return;
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
    let done = false;
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
