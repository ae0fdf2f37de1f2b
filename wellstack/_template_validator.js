"use strict";
// wellstack's template validator process (see wellstack/_template_validator.py): aws-cdk-lib's own
// CloudFormationValidatePlugin, loaded from the copy of aws-cdk-lib that the app's jsii kernel
// runs (argv[2]), in a process of its own so that its engine starts while the app is built. One
// process serves every app of a Python process; it keeps one plugin (one engine) per rule set.
// One JSON object per line each way, answered in order:
//   {"op": "configure", "id": validator, "key": rule set, "props": {...CloudFormationValidatePluginProps}}
//     ("props" only on the first request for a key: Control Tower's rules are 1.2 MB)
//     -> {"ok", "version", "ruleIds"}, or {"ok", "superseded"} when the same validator's next
//        configure request was already waiting (only its last rule set gets an engine)
//   {"op": "validate", "key": rule set, "context": {"stackTemplates": [...], "templatePaths": [...]}}
//     -> {"ok", "report"}
// A failure answers {"ok": false, "error": "..."}; the Python side then validates in-process.
const path = require("path");
const readline = require("readline");

const send = (message) => process.stdout.write(JSON.stringify(message) + "\n");
const plugins = new Map(); // rule set key -> CloudFormationValidatePlugin
const propsOf = new Map(); // rule set key -> its props (sent with the key's first request only)

// One throw-away validation of a one-resource template right after the engine starts: the
// engine's WebAssembly is compiled lazily, so this compiles the validation path while the app
// is still being built instead of on the first real template (measured: about 100 ms less on
// the critical path). Its result is discarded.
function warmUp(cdkLib, plugin) {
  const engine = plugin.engine;
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

  function pluginFor(key) {
    let plugin = plugins.get(key);
    if (!plugin) {
      if (!propsOf.has(key)) throw new Error(`no props for rule set ${JSON.stringify(key)}`);
      plugin = new CloudFormationValidatePlugin(propsOf.get(key));
      plugins.set(key, plugin);
      try {
        warmUp(cdkLib, plugin);
      } catch {
        // only a head start: a failure here changes nothing a validation reports
      }
    }
    return plugin;
  }

  // Requests are handled in order, after every line already received: of consecutive configure
  // requests of one validator (new_app's default, then apply_packs' rules a moment later) only
  // the last starts an engine; each request gets its answer, in order.
  const drain = () => {
    scheduled = false;
    while (queue.length) {
      const message = queue.shift();
      try {
        if (message.op === "configure") {
          const batch = [message];
          while (queue.length && queue[0].op === "configure") batch.push(queue.shift());
          batch.forEach((request) => {
            if (request.props) propsOf.set(request.key, request.props);
          });
          batch.forEach((request, index) => {
            try {
              if (batch.slice(index + 1).some((later) => later.id === request.id)) {
                send({ ok: true, superseded: true });
              } else {
                const plugin = pluginFor(request.key);
                send({ ok: true, version: plugin.version, ruleIds: plugin.ruleIds });
              }
            } catch (error) {
              send({ ok: false, error: String((error && error.stack) || error) });
            }
          });
        } else if (message.op === "validate") {
          const plugin = plugins.get(message.key);
          if (!plugin) throw new Error(`no engine for rule set ${JSON.stringify(message.key)}`);
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
