"use strict";
// wellstack's template validator process (see wellstack/_template_validator.py): aws-cdk-lib's own
// CloudFormationValidatePlugin, loaded from the copy of aws-cdk-lib that the app's jsii kernel
// runs (argv[2]), in a process of its own so that its engine starts while the app is built.
// One JSON object per line each way:
//   {"op": "configure", "props": {...CloudFormationValidatePluginProps}} -> {"ok", "version", "ruleIds"}
//   {"op": "validate", "context": {"stackTemplates": [...], "templatePaths": [...]}} -> {"ok", "report"}
// A failure answers {"ok": false, "error": "..."}; the Python side then validates in-process.
const path = require("path");
const readline = require("readline");

const send = (message) => process.stdout.write(JSON.stringify(message) + "\n");
let plugin;

// One throw-away validation of a one-resource template right after the engine starts: the
// engine's WebAssembly is compiled lazily, so this compiles the validation path while the app
// is still being built instead of on the first real template (measured: about 100 ms less on
// the critical path). Its result is discarded.
function warmUp(cdkLib) {
  const engine = plugin && plugin.engine;
  if (!engine || typeof engine.validateTemplate !== "function") return;
  const { TemplateContent } = require(
    path.join(cdkLib, "node_modules", "@aws", "cloudformation-validate"),
  );
  const template = { Resources: { Topic: { Type: "AWS::SNS::Topic", Properties: {} } } };
  engine.validateTemplate(new TemplateContent(JSON.stringify(template), "warm-up"), {
    detailLevel: "STANDARD",
    severityLevel: "WARN",
  });
}

const cdkLib = process.argv[2];
try {
  const { CloudFormationValidatePlugin } = require(
    path.join(cdkLib, "core", "lib", "validation", "cloudformation-validate-plugin.js"),
  );
  const queue = [];
  let scheduled = false;

  // Requests are handled in order, after every line already received: consecutive configure
  // requests (new_app's default, then apply_packs' rules a moment later) start one engine, with
  // the last props, and each gets its answer.
  const drain = () => {
    scheduled = false;
    while (queue.length) {
      const message = queue.shift();
      try {
        if (message.op === "configure") {
          let answers = 1;
          let props = message.props;
          while (queue.length && queue[0].op === "configure") {
            props = queue.shift().props;
            answers += 1;
          }
          plugin = new CloudFormationValidatePlugin(props);
          try {
            warmUp(cdkLib);
          } catch {
            // only a head start: a failure here changes nothing a validation reports
          }
          for (let i = 0; i < answers; i += 1) {
            send({ ok: true, version: plugin.version, ruleIds: plugin.ruleIds });
          }
        } else if (message.op === "validate") {
          send({ ok: true, report: plugin.validate(message.context) });
        } else {
          send({ ok: false, error: `unknown op ${JSON.stringify(message.op)}` });
        }
      } catch (error) {
        send({ ok: false, error: String((error && error.stack) || error) });
      }
    }
  };

  readline.createInterface({ input: process.stdin }).on("line", (line) => {
    try {
      queue.push(JSON.parse(line));
    } catch (error) {
      queue.push({ op: "invalid", error });
    }
    if (!scheduled) {
      scheduled = true;
      setImmediate(drain);
    }
  });
} catch (error) {
  send({ ok: false, error: String((error && error.stack) || error) });
  process.exit(1);
}
