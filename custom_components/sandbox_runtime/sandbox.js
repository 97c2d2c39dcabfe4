// Runtime of the sandboxed custom-widget iframe (assets/sandbox/run.html), bundled with
// React 19, lucide-react and Tailwind's browser build into one classic IIFE script (`make
// setup` → assets/sandbox/runtime.js; no CDN at run time). Babel is not in it: components
// arrive compiled by the server (compile.py, at persist); only a source the server has not
// compiled makes the frame load assets/sandbox/compiler.js (compiler.js: @babel/standalone +
// plugins.js, 3.2 MB), once, on demand.
//
// Protocol "cc-widget/1" (postMessage, both directions checked for source and shape):
//   parent → iframe  {cc, type: "render", id, source, compiled, displayName, props: {rows, columns}}
//   iframe → parent  {cc, type: "ready"} | {cc, type: "heartbeat"} |
//                    {cc, type: "rendered", id, compileMs, renderMs, loadMs, cached} |
//                    {cc, type: "error", id, kind: syntax|runtime|scope|timeout, message} |
//                    {cc, type: "size", height}
import * as React from "react";
import { flushSync } from "react-dom";
import { createRoot } from "react-dom/client";
import { icons } from "lucide-react";
import "@tailwindcss/browser";

const PROTOCOL = "cc-widget/1";
const HEARTBEAT_MS = 250;
const LOOP_BUDGET_MS = 1000;
const MAX_SOURCE = 20 * 1024;
const MAX_COMPILED = 256 * 1024;
const COMPILER_URL = "compiler.js"; // next to run.html
const parentWindow = window.parent;
const post = (message) => parentWindow.postMessage({ cc: PROTOCOL, ...message }, "*");

// -- hardening: the CSP already blocks the network; also take the APIs away.
for (const name of [
  "fetch", "XMLHttpRequest", "WebSocket", "EventSource", "Worker", "SharedWorker",
  "RTCPeerConnection", "webkitRTCPeerConnection", "BroadcastChannel", "open", "importScripts",
]) {
  try {
    Object.defineProperty(window, name, { value: undefined, writable: false, configurable: false });
  } catch (_) {
    /* not configurable here: the CSP still applies */
  }
}
try {
  Object.defineProperty(Navigator.prototype, "sendBeacon", { value: () => false });
} catch (_) {
  /* ignore */
}

let currentId = "";
function fail(kind, error) {
  const message = String((error && error.message) || error || kind).slice(0, 500);
  post({ type: "error", id: currentId, kind, message });
}

// A navigation of this frame (location = …) would reach the network. The page's
// `frame-src 'self'` blocks it (api/frame_policy.py); this report is best effort.
if (window.navigation) {
  window.navigation.addEventListener("navigate", (event) => {
    if (event.cancelable) event.preventDefault();
    fail("scope", `navigation to ${event.destination && event.destination.url} blocked`);
  });
}

// Anything the CSP blocks (a request, an image, a frame) is reported as a scope violation.
document.addEventListener("securitypolicyviolation", (event) => {
  fail("scope", `blocked by the sandbox policy: ${event.effectiveDirective} ${event.blockedURI}`);
});

class LoopGuardError extends Error {}
let guardStart = 0;
let guardArmed = false;
let guardCount = 0;
// Second line against endless loops (the first is the parent's heartbeat watchdog): every
// loop body calls this; a task whose loops run longer than LOOP_BUDGET_MS throws.
function guard() {
  if (!guardArmed) {
    guardArmed = true;
    guardStart = performance.now();
    setTimeout(() => {
      guardArmed = false;
    }, 0);
  }
  if ((++guardCount & 1023) === 0 && performance.now() - guardStart > LOOP_BUDGET_MS) {
    throw new LoopGuardError(`loop guard: a loop ran for more than ${LOOP_BUDGET_MS} ms`);
  }
}

class CompileError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

const compiled = new Map(); // source → factory (the warm path)
// compiler.js's transform: once loaded, or already there when a bundle includes the compiler
let transformTsx = typeof window.__ccCompile === "function" ? window.__ccCompile : null;
let compilerLoading = null;

// Load compiler.js (a classic script from the app, as the CSP allows) the first time a
// source arrives without the server's compiled JS.
function loadCompiler() {
  if (!compilerLoading) {
    compilerLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = COMPILER_URL;
      script.onload = () => {
        transformTsx = typeof window.__ccCompile === "function" ? window.__ccCompile : null;
        if (transformTsx) resolve();
        else reject(new Error("the sandbox compiler did not start"));
      };
      script.onerror = () => {
        compilerLoading = null;
        reject(new Error("the sandbox compiler could not be loaded (assets/sandbox/compiler.js: make setup)"));
      };
      document.head.appendChild(script);
    });
  }
  return compilerLoading;
}

// `compiled` is the server's output of the same transform (compile.js, cached by content
// hash): then Babel does not run here at all.
function compile(source, precompiled) {
  const hit = compiled.get(source);
  if (hit) return { factory: hit, cached: true };
  let code = typeof precompiled === "string" && precompiled ? precompiled : null;
  if (code === null) {
    const result = transformTsx(source);
    if (!result.code) throw new CompileError(result.kind, result.message);
    code = result.code;
  }
  // eslint-disable-next-line no-new-func -- the CSP allows eval inside this sandbox only
  const factory = new Function("exports", "React", "Icon", "__cc_guard", `"use strict";\n${code}`);
  compiled.set(source, factory);
  return { factory, cached: false };
}

function Icon({ name, ...rest }) {
  const key = String(name || "circle")
    .split(/[-_ ]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
  return React.createElement(icons[key] || icons.Circle, { size: 16, ...rest });
}
Object.assign(Icon, icons);

class Boundary extends React.Component {
  constructor(props) {
    super(props);
    this.state = { failed: false };
  }
  static getDerivedStateFromError() {
    return { failed: true };
  }
  componentDidCatch(error) {
    renderFailed = true;
    fail(error instanceof LoopGuardError ? "timeout" : "runtime", error);
  }
  render() {
    return this.state.failed ? null : this.props.children;
  }
}

const root = createRoot(document.getElementById("root"));
let renderFailed = false; // set by the error boundary during a render
let mounted = { source: null, component: null, key: 0 };

function render(message, loadMs = 0) {
  currentId = message.id;
  const started = performance.now();
  let component = mounted.component;
  let cached = true;
  if (mounted.source !== message.source) {
    const result = compile(message.source, message.compiled);
    cached = result.cached;
    const exports = {};
    try {
      result.factory(exports, React, Icon, guard);
    } catch (error) {
      throw new CompileError(error instanceof LoopGuardError ? "timeout" : "runtime", error.message);
    }
    component = exports.default || exports[message.displayName];
    if (typeof component !== "function") {
      throw new CompileError("runtime", `${message.displayName} is not exported as a component`);
    }
    mounted = { source: message.source, component, key: mounted.key + 1 };
  }
  const compileMs = performance.now() - started;
  renderFailed = false;
  flushSync(() => {
    root.render(
      React.createElement(Boundary, { key: mounted.key }, React.createElement(component, message.props)),
    );
  });
  const renderMs = performance.now() - started - compileMs;
  if (!renderFailed) post({ type: "rendered", id: message.id, compileMs, renderMs, loadMs, cached });
}

function valid(data) {
  return (
    data !== null &&
    typeof data === "object" &&
    data.cc === PROTOCOL &&
    data.type === "render" &&
    typeof data.id === "string" &&
    typeof data.source === "string" &&
    data.source.length <= MAX_SOURCE &&
    (data.compiled === undefined || (typeof data.compiled === "string" && data.compiled.length <= MAX_COMPILED)) &&
    typeof data.displayName === "string" &&
    /^[A-Z][A-Za-z0-9]{1,63}$/.test(data.displayName) &&
    data.props !== null &&
    typeof data.props === "object" &&
    Array.isArray(data.props.rows)
  );
}

function handle(message, loadMs = 0) {
  try {
    render(message, loadMs);
  } catch (error) {
    fail(error instanceof CompileError ? error.kind : "runtime", error);
  }
}

let waiting = null; // the latest render that waits for compiler.js
window.addEventListener("message", (event) => {
  if (event.source !== parentWindow || !valid(event.data)) return;
  const message = event.data;
  const needsCompiler =
    !transformTsx && !message.compiled && mounted.source !== message.source && !compiled.has(message.source);
  if (!needsCompiler) {
    waiting = null; // a newer render supersedes one still waiting
    handle(message);
    return;
  }
  const first = waiting === null;
  waiting = { message, since: performance.now() };
  if (!first) return;
  loadCompiler().then(
    () => {
      const next = waiting;
      waiting = null;
      if (next) handle(next.message, performance.now() - next.since);
    },
    (error) => {
      waiting = null;
      currentId = message.id;
      fail("runtime", error);
    },
  );
});
window.addEventListener("error", (event) => {
  fail(event.error instanceof LoopGuardError ? "timeout" : "runtime", event.error || event.message);
});
window.addEventListener("unhandledrejection", (event) => fail("runtime", event.reason));

new ResizeObserver(() => {
  post({ type: "size", height: Math.ceil(document.documentElement.scrollHeight) });
}).observe(document.body);
setInterval(() => post({ type: "heartbeat" }), HEARTBEAT_MS);
post({ type: "ready" });
