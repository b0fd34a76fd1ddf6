// SPDX-License-Identifier: GPL-3.0-or-later
// Head Motion: a Flamenco custom job type. One task per input file (voice, video or motion file), each running
// the Head Motion batch command in Blender on the job's shot .blend; then one task merging the per-task summaries.
// Install: copy this file into the "scripts" folder next to the Flamenco Manager executable and restart the
// Manager (docs/farm.md). Written for Flamenco 3's job compiler API: JOB_TYPE + compileJob(job), author.Task,
// author.Command, path.

const JOB_TYPE = {
  label: "Head Motion",
  description: "Bake natural head motion onto the shot's character, one task per input file",
  settings: [
    {key: "blendfile", type: "string", required: true, visible: "web",
     description: "Shot .blend holding the character to animate (the submitted file)"},
    {key: "inputs", type: "string", required: true,
     description: "Input files (voices, videos or motion files) on shared storage, one per line or separated by ';'"},
    {key: "output_dir", type: "string", subtype: "dir_path", required: true, visible: "submission",
     description: "Output folder: <shot>/<input>.blend and <shot>/summaries/<input>.json go here"},
    {key: "method", type: "string", choices: ["synthetic", "posegan", "video", "track"], default: "synthetic",
     description: "synthetic/posegan: voices; video: reference videos; track: pose, Live Link Face or FLAME files"},
    {key: "preset", type: "string", choices: ["CALM", "CONVERSATIONAL", "ANIMATED", "LISTENING"],
     default: "CONVERSATIONAL", description: "Synthetic motion preset"},
    {key: "seed", type: "int32", default: 0, description: "Same seed, same motion"},
    {key: "intensity", type: "float", default: 1.0, description: "Motion intensity"},
    {key: "neck_share", type: "float", default: 0.3, description: "Part of the turn carried by the neck (0-1)"},
    {key: "fov", type: "float", default: 20.0, description: "Video method: camera field of view in degrees"},
    {key: "export_flame", type: "bool", default: false,
     description: "Also write <input>.flame.npz (FLAME pose parameters) next to each .blend"},
    {key: "extra_args", type: "string", default: "", visible: "submission",
     description: "More batch options, separated by spaces (e.g. --mode REPLACE)"},
    {key: "farm_scripts", type: "string", subtype: "dir_path", default: "", visible: "submission",
     description: "Head Motion's farm/ folder on shared storage; when set, a last task merges the summaries"},
  ],
};

function stem(filepath) {
  const base = path.basename(filepath);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(0, dot) : base;
}

function splitInputs(text) {
  return String(text || "").split(/[\n;]/).map((s) => s.trim()).filter((s) => s.length > 0);
}

function bakeArgs(settings, shotOut, input) {
  let args = [
    "-c", "head_motion",
    "--method", settings.method,
    "--rig", settings.blendfile,
    "--output", shotOut,
    "--summary", path.join(shotOut, "summaries", stem(input) + ".json"),
    "--skip-existing",
    "--preset", settings.preset,
    "--seed", String(settings.seed),
    "--intensity", String(settings.intensity),
    "--neck-share", String(settings.neck_share),
    "--fov", String(settings.fov),
  ];
  if (settings.export_flame) {
    args.push("--export-flame");
  }
  const extra = String(settings.extra_args || "").split(/\s+/).filter((s) => s.length > 0);
  return args.concat(extra, [input]);
}

function compileJob(job) {
  const settings = job.settings;
  const inputs = splitInputs(settings.inputs);
  if (inputs.length === 0) {
    throw "Head Motion: no input files given (setting 'inputs')";
  }
  const names = {};
  for (const input of inputs) {
    const name = stem(input);
    if (names[name]) {
      throw `Head Motion: inputs '${names[name]}' and '${input}' would both write ${name}.blend`;
    }
    names[name] = input;
  }
  const shotOut = path.join(settings.output_dir, stem(settings.blendfile));
  const bakeTasks = [];
  for (const input of inputs) {
    const task = author.Task(`head-motion-${stem(input)}`, "blender");
    task.addCommand(author.Command("blender-render", {
      exe: "{blender}",
      exeArgs: "{blenderArgs}",
      argsBefore: [],
      blendfile: settings.blendfile,
      args: bakeArgs(settings, shotOut, input),
    }));
    job.addTask(task);
    bakeTasks.push(task);
  }
  if (settings.farm_scripts) {
    const merge = author.Task("merge-summaries", "misc");
    merge.addCommand(author.Command("exec", {
      exe: "{blender}",
      args: ["-b", "--factory-startup", "--python-exit-code", "1",
             "--python", path.join(settings.farm_scripts, "merge_summaries.py"), "--", settings.output_dir],
    }));
    for (const task of bakeTasks) {
      merge.addDependency(task);
    }
    job.addTask(merge);
  }
}
