// The Flamenco job type farm/flamenco/head_motion.js, compiled against a small stub of Flamenco's job compiler
// API (author.Task / author.Command / job.addTask / path), checking the commands it emits.
// Run: node --test tests/farm/  (tests/farm/test_flamenco.py runs it from pytest).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import test from "node:test";
import vm from "node:vm";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SOURCE = fs.readFileSync(path.join(HERE, "..", "..", "farm", "flamenco", "head_motion.js"), "utf8");

// What Flamenco's Manager gives a job compiler script (only what head_motion.js may use).
function flamenco() {
  const author = {
    Task(name, type) {
      return {name, type, commands: [], dependencies: [],
              addCommand(c) { this.commands.push(c); }, addDependency(t) { this.dependencies.push(t); }};
    },
    Command(type, parameters) { return {type, parameters}; },
  };
  const posix = {join: path.posix.join, basename: path.posix.basename, dirname: path.posix.dirname};
  const context = vm.createContext({author, path: posix, print: () => {}});
  vm.runInContext(SOURCE, context, {filename: "head_motion.js"});
  return context;
}

// Objects made inside the vm context have that context's prototypes: compare plain copies.
const plain = (value) => JSON.parse(JSON.stringify(value));

function compile(settings) {
  const ctx = flamenco();
  const defaults = {};
  for (const s of vm.runInContext("JOB_TYPE", ctx).settings) {
    if (s.default !== undefined) defaults[s.key] = s.default;
  }
  const job = {name: "test", settings: {...defaults, ...settings}, tasks: [], addTask(t) { this.tasks.push(t); }};
  ctx.job = job;
  vm.runInContext("compileJob(job)", ctx);
  return plain(job);
}

const SHOT = "/farm/shots/sh010.blend";
const INPUTS = ["/farm/voices/anna_01.wav", "/farm/voices/ben take 2.flac", "/farm/mocap/anna_03.csv"];

test("JOB_TYPE declares the settings Flamenco shows", () => {
  const jobType = plain(vm.runInContext("JOB_TYPE", flamenco()));
  assert.equal(jobType.label, "Head Motion");
  const keys = jobType.settings.map((s) => s.key);
  for (const key of ["blendfile", "inputs", "output_dir", "method", "preset", "seed", "export_flame"]) {
    assert.ok(keys.includes(key), key);
  }
  const method = jobType.settings.find((s) => s.key === "method");
  assert.deepEqual(method.choices, ["synthetic", "posegan", "video", "track"]);
  for (const s of jobType.settings) {
    assert.ok(["string", "int32", "float", "bool"].includes(s.type), `${s.key}: ${s.type}`);
  }
});

test("three inputs give three blender-render tasks with the batch command, then a merge", () => {
  const job = compile({blendfile: SHOT, inputs: INPUTS.join("\n"), output_dir: "/farm/out", method: "track",
                       seed: 7, export_flame: true, farm_scripts: "/pipeline/head_motion/farm"});
  assert.equal(job.tasks.length, 4);
  const bakes = job.tasks.slice(0, 3);
  const stems = ["anna_01", "ben take 2", "anna_03"];
  bakes.forEach((task, i) => {
    assert.equal(task.name, `head-motion-${stems[i]}`);
    assert.equal(task.type, "blender");
    assert.equal(task.commands.length, 1);
    const {type, parameters} = task.commands[0];
    assert.equal(type, "blender-render");
    assert.equal(parameters.exe, "{blender}");
    assert.equal(parameters.exeArgs, "{blenderArgs}");
    assert.deepEqual(parameters.argsBefore, []);
    assert.equal(parameters.blendfile, SHOT);
    assert.deepEqual(parameters.args, [
      "-c", "head_motion", "--method", "track", "--rig", SHOT, "--output", "/farm/out/sh010",
      "--summary", `/farm/out/sh010/summaries/${stems[i]}.json`, "--skip-existing",
      "--preset", "CONVERSATIONAL", "--seed", "7", "--intensity", "1", "--neck-share", "0.3", "--fov", "20",
      "--export-flame", INPUTS[i],
    ]);
  });
  const merge = job.tasks[3];
  assert.equal(merge.name, "merge-summaries");
  assert.deepEqual(merge.dependencies.map((t) => t.name), bakes.map((t) => t.name));
  assert.deepEqual(merge.commands[0], {type: "exec", parameters: {exe: "{blender}", args: [
    "-b", "--factory-startup", "--python-exit-code", "1", "--python",
    "/pipeline/head_motion/farm/merge_summaries.py", "--", "/farm/out"]}});
});

test("separators, extra arguments, no merge without the farm scripts", () => {
  const job = compile({blendfile: SHOT, inputs: " /a/x.wav ; /b/y.wav;", output_dir: "/o",
                       extra_args: " --mode  REPLACE "});
  assert.equal(job.tasks.length, 2);
  const args = job.tasks[1].commands[0].parameters.args;
  assert.deepEqual(args.slice(-3), ["--mode", "REPLACE", "/b/y.wav"]);
  assert.ok(!args.includes("--export-flame"));
});

test("bad input lists are refused with a message", () => {
  assert.throws(() => compile({blendfile: SHOT, inputs: " ; \n", output_dir: "/o"}), /no input files/);
  assert.throws(() => compile({blendfile: SHOT, inputs: "/a/take.wav;/b/take.csv", output_dir: "/o"}),
                /would both write take\.blend/);
});
