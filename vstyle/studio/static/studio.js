// vstyle studio: one page over the job API. No build step, no dependencies.
"use strict";

const $ = (id) => document.getElementById(id);
const chosen = { style: null, input: null };  // a File, or {pick: {root, path}, name}
let jobs = [];
let selected = null;
let shownDone = null;

async function api(path, options = {}) {
  const headers = Object.assign({ "X-Vstyle": "1" }, options.headers || {});
  const response = await fetch(path, Object.assign({}, options, { headers, credentials: "same-origin" }));
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || response.statusText);
  return body;
}

function setFile(field, value) {
  chosen[field] = value;
  const drop = $(field + "-drop");
  drop.classList.toggle("set", !!value);
  const name = value ? (value.name || "") : "";
  drop.querySelector(".hint").innerHTML = value
    ? `${field === "style" ? "Style" : "Input"}<br><small>${escapeHtml(name)}</small>`
    : `${field === "style" ? "Style picture" : "Video or photo"}<br><small>drop or click</small>`;
  if (field === "style") {
    const thumb = $("style-thumb");
    if (value instanceof File) thumb.src = URL.createObjectURL(value);
    else thumb.removeAttribute("src");
  }
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

for (const field of ["style", "input"]) {
  const drop = $(field + "-drop");
  const input = $(field + "-file");
  input.addEventListener("change", () => setFile(field, input.files[0] || null));
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length) setFile(field, e.dataTransfer.files[0]);
  });
}

// Allowed folders (--allow): click a folder to open it, a file to use it.
let roots = [];
async function browse(root, path) {
  const listing = await api(`/api/browse?root=${root}&path=${encodeURIComponent(path)}`);
  const crumbs = $("crumbs");
  crumbs.textContent = "";
  const top = document.createElement("select");
  roots.forEach((r) => top.add(new Option(r.name, r.index, false, r.index === root)));
  top.onchange = () => browse(Number(top.value), "");
  crumbs.append(top, " / " + path);
  const list = $("entries");
  list.textContent = "";
  if (path) {
    const up = document.createElement("li");
    up.className = "folder";
    up.textContent = "..";
    up.onclick = () => browse(root, path.split("/").slice(0, -1).join("/"));
    list.append(up);
  }
  for (const entry of listing.entries) {
    const item = document.createElement("li");
    item.className = entry.kind;
    item.textContent = entry.name;
    const rel = path ? `${path}/${entry.name}` : entry.name;
    item.onclick = () => {
      if (entry.kind === "folder") browse(root, rel);
      else if (entry.kind === "picture" && !chosen.style) setFile("style", { pick: { root, path: rel }, name: entry.name });
      else if (entry.kind !== "model") setFile("input", { pick: { root, path: rel }, name: entry.name });
    };
    list.append(item);
  }
}

async function start(event) {
  event.preventDefault();
  $("message").textContent = "";
  const spec = {
    method: $("method").value,
    max_side: Number($("max-side").value) || null,
    iterations: Number($("iterations").value),
    temporal_weight: Number($("temporal-weight").value),
    stabilize: $("stabilize").checked,
  };
  const form = new FormData();
  for (const field of ["style", "input"]) {
    const value = chosen[field];
    if (value instanceof File) form.append(field, value);
    else if (value) spec[field + "_pick"] = value.pick;
  }
  const model = $("model-file").files[0];
  if (model) form.append("model", model);
  form.append("spec", JSON.stringify(spec));
  $("start").disabled = true;
  try {
    const job = await api("/api/jobs", { method: "POST", body: form });
    select(job.id);
    upsert(job);
  } catch (err) {
    $("message").textContent = err.message;
  } finally {
    $("start").disabled = false;
  }
}

function upsert(job) {
  const at = jobs.findIndex((j) => j.id === job.id);
  if (at >= 0) jobs[at] = job; else jobs.unshift(job);
  render();
}

function describe(job) {
  const parts = [];
  if (job.total) parts.push(`${job.frames}/${job.total} frames`);
  else if (job.frames) parts.push(`${job.frames} frames`);
  if (job.iterations && job.state === "running") parts.push(`iteration ${job.iteration}/${job.iterations}`);
  if (job.fps) parts.push(`${job.fps.toFixed(2)} fps`);
  if (job.eta != null && job.state === "running") parts.push(`ETA ${Math.ceil(job.eta)} s`);
  if (job.stage && job.state === "running") parts.push(job.stage);
  if (job.resumed) parts.push("resumed");
  if (job.error) parts.push(job.error);
  return parts.join(" · ");
}

function render() {
  const list = $("jobs");
  list.textContent = "";
  for (const job of jobs) {
    const item = document.createElement("li");
    item.dataset.id = job.id;
    item.dataset.state = job.state;
    item.classList.toggle("selected", job.id === selected);
    const name = document.createElement("span");
    name.textContent = `${(job.names && job.names.input) || job.id} · ${job.spec.method}`;
    const state = document.createElement("span");
    state.className = "state";
    state.textContent = `${job.state} ${Math.round(job.progress * 100)}%`;
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.textContent = "Cancel";
    cancel.disabled = !["queued", "running"].includes(job.state);
    cancel.onclick = (e) => { e.stopPropagation(); api(`/api/jobs/${job.id}/cancel`, { method: "POST" }).then(upsert); };
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "Remove";
    remove.className = "remove";
    remove.onclick = async (e) => {
      e.stopPropagation();
      await fetch(`/api/jobs/${job.id}`, { method: "DELETE", headers: { "X-Vstyle": "1" } });
      jobs = jobs.filter((j) => j.id !== job.id);
      if (selected === job.id) { selected = null; $("compare").hidden = true; }
      render();
    };
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.innerHTML = `<div style="width:${job.progress * 100}%"></div>`;
    item.append(name, state, ["queued", "running"].includes(job.state) ? cancel : remove, bar);
    item.onclick = () => select(job.id);
    list.append(item);
  }
  const job = jobs.find((j) => j.id === selected);
  if (!job) return;
  $("live-bar").style.width = `${job.progress * 100}%`;
  $("live-text").textContent = `${job.state} ${Math.round(job.progress * 100)}% · ${describe(job)}`;
  $("live-text").dataset.progress = job.progress;
  if (job.preview) $("preview").src = `/api/jobs/${job.id}/preview?v=${job.preview}`;
  if (job.state === "done" && shownDone !== job.id) showCompare(job);
  if (job.state !== "done") { $("compare").hidden = true; shownDone = null; }
}

function select(id) {
  selected = id;
  shownDone = null;
  $("preview").removeAttribute("src");
  render();
}

// The comparison: the result follows the original's clock.
const original = $("original");
const result = $("result");

function showCompare(job) {
  shownDone = job.id;
  $("compare").hidden = false;
  const stamp = `?v=${job.created}`;
  const picture = job.picture;
  for (const [video, img, name] of [[original, $("original-img"), "original"], [result, $("result-img"), "result"]]) {
    video.hidden = picture;
    img.hidden = !picture;
    if (picture) { img.src = `/api/jobs/${job.id}/${name}${stamp}`; video.removeAttribute("src"); }
    else { video.src = `/api/jobs/${job.id}/${name}${stamp}`; video.load(); }
  }
  $("play").disabled = picture;
  $("seek").disabled = picture;
  $("download").href = `/api/jobs/${job.id}/result?download=1`;
}

function follow() {
  if (Math.abs(result.currentTime - original.currentTime) > 0.05) result.currentTime = original.currentTime;
}

$("play").onclick = () => {
  if (original.paused) { follow(); Promise.all([original.play(), result.play()]).catch(() => {}); }
  else { original.pause(); result.pause(); follow(); }
};
original.addEventListener("play", () => { $("play").textContent = "Pause"; if (result.paused) result.play().catch(() => {}); });
original.addEventListener("pause", () => { $("play").textContent = "Play"; result.pause(); follow(); });
original.addEventListener("ended", () => { result.pause(); follow(); });
original.addEventListener("seeked", follow);
original.addEventListener("timeupdate", () => {
  if (original.duration) $("seek").value = Math.round((original.currentTime / original.duration) * 1000);
  $("clock").textContent = `${original.currentTime.toFixed(1)} s`;
  if (!original.paused) follow();
});
$("seek").addEventListener("input", () => {
  if (!original.duration) return;
  original.currentTime = ($("seek").value / 1000) * original.duration;
  result.currentTime = original.currentTime;
});
$("wipe-mode").addEventListener("change", () => {
  $("stage").classList.toggle("wipe", $("wipe-mode").checked);
  $("stage").classList.toggle("side", !$("wipe-mode").checked);
  $("wipe").disabled = !$("wipe-mode").checked;
});
$("wipe").addEventListener("input", () => $("stage").style.setProperty("--wipe", `${$("wipe").value}%`));
$("options").addEventListener("submit", start);

function listen() {
  const source = new EventSource("/api/events");
  source.onmessage = (e) => { jobs = JSON.parse(e.data); if (!selected && jobs.length) selected = jobs[0].id; render(); };
  source.onerror = () => { source.close(); setTimeout(listen, 2000); };
}

(async function init() {
  const info = await api("/api/info");
  $("device").textContent = `device: ${info.device}`;
  for (const m of info.methods) $("method").add(new Option(m, m, false, m === "auto"));
  roots = info.roots;
  if (roots.length) { $("browser").hidden = false; browse(0, ""); }
  listen();
})();

// For scripts and tests: the two players' clocks.
window.studio = { original, result, follow };
