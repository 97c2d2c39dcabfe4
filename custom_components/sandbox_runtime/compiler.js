// The sandbox's on-demand compiler (assets/sandbox/compiler.js, a classic IIFE script):
// @babel/standalone with the transform of plugins.js. sandbox.js loads it only when a
// component arrives without the server's compiled JS, and takes `window.__ccCompile`.
import * as Babel from "@babel/standalone";
import { transformComponent } from "./plugins.js";

window.__ccCompile = (source) => transformComponent(Babel, source);
