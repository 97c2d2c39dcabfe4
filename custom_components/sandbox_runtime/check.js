// Static checks of a custom widget's TSX (run by command_center/widgets/custom/checks.py).
// stdin: {"source", "display_name", "props_type", "severity_keys", "colour_families"}
// (or a list of them); stdout: {"checks": [{"name", "passed", "detail"}]}.
// Parsing, scopes and tokens come from Babel (@babel/standalone's parser and traverse),
// the same Babel the sandbox compiles with.
const Babel = require("@babel/standalone");
const { parser, traverse: traverseModule } = Babel.packages;
const traverse = traverseModule.default || traverseModule;
const SCOPE = require("./scope.json");

const TAILWIND_FAMILIES = new Set(
  ("slate gray zinc neutral stone red orange amber yellow lime green emerald teal cyan sky " +
    "blue indigo violet purple fuchsia pink rose").split(" "),
);
const COLOUR_UTILITY =
  /^(?:[a-z-]+:)*!?-?(bg|text|border(?:-[trblxyse])?|ring(?:-offset)?|from|via|to|fill|stroke|outline|divide|placeholder|accent|caret|decoration|shadow|inset-shadow|inset-ring)-([a-z]+|\[[^\]]*\])(?:-(\d{2,3}))?(?:\/\S+)?$/;
const IGNORE_COMMENTS = /@ts-(ignore|nocheck|expect-error)/;
const OPEN = { "(": ")", "[": "]", "{": "}" };

function result(name, problems, ok) {
  return { name, passed: problems.length === 0, detail: problems.length ? problems.slice(0, 5).join("; ") : ok };
}

function where(node) {
  return node && node.loc ? ` (line ${node.loc.start.line})` : "";
}

// When Babel cannot parse the source: ask TypeScript's recovering parser (JSX-aware, so
// brackets in strings, comments, templates and JSX text do not count) whether a bracket is
// missing or unmatched.
function bracketScan(src) {
  const ts = require("typescript");
  const file = ts.createSourceFile("c.tsx", src, ts.ScriptTarget.Latest, false, ts.ScriptKind.TSX);
  for (const diag of file.parseDiagnostics || []) {
    const text = ts.flattenDiagnosticMessageText(diag.messageText, " ");
    const line = file.getLineAndCharacterOfPosition(diag.start || 0).line + 1;
    const missing = /^'([)\]}])' expected/.exec(text);
    if (missing) return `'${missing[1]}' expected on line ${line}`;
    const at = src[diag.start || 0];
    if (at === ")" || at === "]" || at === "}") return `unmatched '${at}' on line ${line}`;
  }
  return null;
}

function tokenBalance(tokens) {
  const stack = [];
  for (const token of tokens) {
    const label = token.type && token.type.label;
    if (label === "(" || label === "[" || label === "{" || label === "${" || label === "#{" || label === "{|") stack.push(label === "${" ? "{" : label[0]);
    else if (label === ")" || label === "]" || label === "}" || label === "|}") {
      const top = stack.pop();
      if (!top || OPEN[top] !== label[label.length - 1]) return `unbalanced '${label}'${where(token)}`;
    }
  }
  return stack.length ? `${stack.length} bracket(s) never closed` : null;
}

function colourProblems(text, families, node) {
  const problems = [];
  for (const word of text.split(/\s+/)) {
    const hit = COLOUR_UTILITY.exec(word);
    if (!hit) continue;
    const family = hit[2];
    if (family.startsWith("[")) problems.push(`arbitrary colour '${word}'${where(node)}`);
    else if (TAILWIND_FAMILIES.has(family) && !families.has(family))
      problems.push(`colour family '${family}' in '${word}' is not in the design system${where(node)}`);
  }
  return problems;
}

function runChecks(input) {
  const { source, display_name: name, props_type: propsType } = input;
  const families = new Set(input.colour_families || []);
  const allowed = new Set(SCOPE.globals);
  const severityKeys = input.severity_keys || [];
  let ast;
  try {
    ast = parser.parse(source, { sourceType: "module", plugins: ["typescript", "jsx"], tokens: true });
  } catch (error) {
    const imbalance = bracketScan(source);
    const message = String(error.message || error).split("\n")[0];
    return [
      result("parses", [message]),
      result("balanced_brackets", imbalance ? [imbalance] : [], "balanced (scan)"),
    ];
  }
  const checks = [result("parses", [], "Babel parsed the TSX")];
  const balance = tokenBalance(ast.tokens);
  checks.push(result("balanced_brackets", balance ? [balance] : [], "balanced (Babel tokens)"));

  const imports = [];
  const scope = [];
  const anys = [];
  const styles = [];
  const colours = [];
  const literals = new Set();
  let propsDeclared = false;
  let component = null;
  let exported = false;

  for (const comment of ast.comments || []) {
    if (IGNORE_COMMENTS.test(comment.value)) anys.push(`'@ts-${IGNORE_COMMENTS.exec(comment.value)[1]}' comment${where(comment)}`);
  }
  traverse(ast, {
    ImportDeclaration(path) {
      imports.push(`import from '${path.node.source.value}'${where(path.node)}`);
    },
    ExportNamedDeclaration(path) {
      const node = path.node;
      if (node.source) imports.push(`re-export from '${node.source.value}'${where(node)}`);
      const decl = node.declaration;
      if (decl && decl.id && decl.id.name === name) exported = true;
      if (decl && decl.declarations) for (const d of decl.declarations) if (d.id.name === name) exported = true;
      for (const spec of node.specifiers || []) if (spec.local && spec.local.name === name) exported = true;
    },
    ExportDefaultDeclaration(path) {
      const decl = path.node.declaration;
      if ((decl.type === "Identifier" && decl.name === name) || (decl.id && decl.id.name === name)) exported = true;
    },
    ExportAllDeclaration(path) {
      imports.push(`export * from '${path.node.source.value}'${where(path.node)}`);
    },
    Import(path) {
      imports.push(`dynamic import()${where(path.node)}`);
    },
    CallExpression(path) {
      const callee = path.node.callee;
      if (callee.type === "Identifier" && callee.name === "require") imports.push(`require()${where(path.node)}`);
    },
    TSTypeAliasDeclaration(path) {
      if (path.node.id.name === propsType) propsDeclared = true;
    },
    TSInterfaceDeclaration(path) {
      if (path.node.id.name === propsType) propsDeclared = true;
    },
    FunctionDeclaration(path) {
      const top = path.parentPath.isProgram() || path.parentPath.isExportDeclaration();
      if (top && path.node.id && path.node.id.name === name) component = path.node;
    },
    VariableDeclarator(path) {
      const init = path.node.init;
      if (path.node.id.name === name && init && /Function|ArrowFunction/.test(init.type)) component = init;
    },
    TSAnyKeyword(path) {
      anys.push(`'any'${where(path.node)}`);
    },
    JSXAttribute(path) {
      if (path.node.name.name === "style") styles.push(`style prop${where(path.node)}`);
    },
    StringLiteral(path) {
      literals.add(path.node.value);
      colours.push(...colourProblems(path.node.value, families, path.node));
    },
    JSXText(path) {
      literals.add(path.node.value.trim());
    },
    TemplateElement(path) {
      colours.push(...colourProblems(path.node.value.cooked || "", families, path.node));
    },
    ObjectProperty(path) {
      const key = path.node.key;
      if (key.type === "Identifier") literals.add(key.name);
    },
    "ReferencedIdentifier"(path) {
      const id = path.node;
      const ident = id.name;
      if (!ident || path.parentPath.isTSTypeReference() || path.parentPath.isTSQualifiedName()) return;
      if (path.findParent((p) => p.isTSType() || p.isTSInterfaceDeclaration() || p.isTSTypeAliasDeclaration())) return;
      if (path.isJSXIdentifier() && /^[a-z]/.test(ident)) return; // intrinsic element (<div>)
      if (!path.scope.hasBinding(ident, true) && !allowed.has(ident)) scope.push(`'${ident}' is outside the sealed scope${where(id)}`);
    },
    MetaProperty(path) {
      scope.push(`'${path.node.meta.name}.${path.node.property.name}'${where(path.node)}`);
    },
  });

  const componentTakesProps =
    component &&
    component.params.length > 0 &&
    JSON.stringify(component.params[0].typeAnnotation || {}).includes(`"name":"${propsType}"`);
  checks.push(
    result(
      "props_type",
      !propsDeclared
        ? [`no 'type ${propsType} = …' or 'interface ${propsType}' declared`]
        : component && !componentTakesProps
          ? [`${name}'s first parameter is not typed ${propsType}`]
          : [],
      `${propsType} declared and used`,
    ),
  );
  checks.push(result("component_declared", component ? [] : [`no function or const named ${name}`], `${name} declared`));
  checks.push(result("exported", exported ? [] : [`${name} is not exported (export default ${name} / export function ${name})`], "exported"));
  checks.push(result("no_imports", imports, "no import/require"));
  checks.push(result("sealed_scope", [...new Set(scope)], "only React, Icon and JS built-ins"));
  const unused = severityKeys.filter((key) => !literals.has(key));
  checks.push(result("severity_keys_used", unused.map((k) => `severity key '${k}' is never used`), `${severityKeys.length} key(s) used`));
  checks.push(result("design_colours", [...new Set(colours)], "design-system colour families only"));
  checks.push(result("no_any", anys, "no any / @ts-ignore"));
  checks.push(result("no_inline_style", styles, "no style prop"));
  return checks;
}

async function main() {
  const input = JSON.parse(await Bun.stdin.text());
  const items = Array.isArray(input) ? input : [input];
  const out = items.map((item) => ({ checks: runChecks(item) }));
  process.stdout.write(JSON.stringify(Array.isArray(input) ? out : out[0]));
}

main();
