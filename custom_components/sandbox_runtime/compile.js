// Compile custom widgets' TSX at persist (command_center/widgets/custom/compile.py): the same
// transform the sandbox would run (plugins.js), so the iframe only evaluates the result.
// stdin: ["tsx", …]; stdout: [{"code"} | {"kind", "message"}, …].
import * as Babel from "@babel/standalone";
import { transformComponent } from "./plugins.js";

const sources = JSON.parse(await Bun.stdin.text());
process.stdout.write(JSON.stringify(sources.map((source) => transformComponent(Babel, source))));
