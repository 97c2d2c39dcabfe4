// Babel set-up shared by the sandbox (in the iframe) and compile.js (at persist, under bun):
// TypeScript + React presets, CommonJS modules, the sealed-scope check and the loop guard.
import SCOPE from "./scope.json";

const ALLOWED = new Set([...SCOPE.globals, "__cc_guard", "exports"]);

function isTypePosition(path) {
  return Boolean(
    path.findParent((p) => p.isTSType() || p.isTSInterfaceDeclaration() || p.isTSTypeAliasDeclaration()),
  );
}

export function scopePlugin(violations) {
  return () => ({
    visitor: {
      ReferencedIdentifier(path) {
        const name = path.node.name;
        if (!name || ALLOWED.has(name) || isTypePosition(path)) return;
        if (path.isJSXIdentifier() && /^[a-z]/.test(name)) return;
        if (!path.scope.hasBinding(name, true)) violations.add(name);
      },
      MetaProperty(path) {
        violations.add(`${path.node.meta.name}.${path.node.property.name}`);
      },
      Import() {
        violations.add("import()");
      },
    },
  });
}

export function loopGuardPlugin({ types: t }) {
  const insert = (path) => {
    const call = t.expressionStatement(t.callExpression(t.identifier("__cc_guard"), []));
    const body = path.get("body");
    if (body.isBlockStatement()) body.unshiftContainer("body", call);
    else body.replaceWith(t.blockStatement([call, body.node]));
  };
  return {
    visitor: {
      "WhileStatement|DoWhileStatement|ForStatement|ForInStatement|ForOfStatement": insert,
    },
  };
}


// TSX → CommonJS JS with a loop guard; {code} or {kind: "syntax" | "scope", message}.
export function transformComponent(Babel, source) {
  const violations = new Set();
  let code;
  try {
    code = Babel.transform(source, {
      filename: "widget.tsx",
      sourceType: "module",
      presets: [
        ["typescript", { isTSX: true, allExtensions: true }],
        ["react", { runtime: "classic" }],
      ],
      plugins: [scopePlugin(violations), loopGuardPlugin, "transform-modules-commonjs"],
    }).code;
  } catch (error) {
    return { kind: "syntax", message: String(error.message || error).split("\n")[0] };
  }
  if (violations.size) {
    return { kind: "scope", message: `outside the sealed scope: ${[...violations].slice(0, 5).join(", ")}` };
  }
  return { code };
}
