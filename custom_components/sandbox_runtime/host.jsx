// A bare host page for the sandboxed widget outside Reflex (eval harness PNGs, benchmarks,
// browser tests of the sandbox itself): the same SandboxedWidget the dashboard renders.
import React from "react";
import { createRoot } from "react-dom/client";
import SandboxedWidget from "../sandboxed_widget/SandboxedWidget.jsx";

const root = createRoot(document.getElementById("host"));
window.ccEvents = [];
window.ccRender = (props) => {
  root.render(
    React.createElement(SandboxedWidget, {
      ...props,
      onRendered: (event) => window.ccEvents.push(event),
    }),
  );
};
