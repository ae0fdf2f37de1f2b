"use strict";
// Runs the CDK CLI (argv[2]: its bin script) with Node's compile cache switched on for the CLI's
// own process only (WELLSTACK_CLI_COMPILE_CACHE, see wellstack/deploy/runner.py). Setting
// NODE_COMPILE_CACHE instead would reach the app's jsii kernel too, which loads aws-cdk-lib
// through a new temporary folder on every run: there the cache only misses, writes and grows.
const mod = require("module");
const path = require("path");

const cache = process.env.WELLSTACK_CLI_COMPILE_CACHE;
if (cache && typeof mod.enableCompileCache === "function") {
  mod.enableCompileCache(cache);
}
const bin = path.resolve(process.argv[2]); // a path, also when given relative
process.argv.splice(1, 1); // the CLI sees [node, its bin, ...arguments]
require(bin);
