// immich's server, as far as its machine-learning calls go: the requests it builds with Node's
// fetch, FormData and Blob (server/src/repositories/machine-learning.repository.ts), sent to a
// running `photon serve`, and every answer checked against what `photon process` and
// `photon search` wrote for the same images and models.
//
//   node immich_client.mjs EXPECTED.json
//
// EXPECTED.json: {"url", "concurrency", "models": [{"name", "images": {path: {"embedding",
// "width", "height"}}, "texts": {text: {path: score}}}], "faces": {"name", "images": {path:
// {"width", "height", "faces": [{"box", "score", "embedding"}]}}}}. Exits non-zero on the first
// mismatch.
import { readFile } from "node:fs/promises";
import assert from "node:assert/strict";

const expected = JSON.parse(await readFile(process.argv[2], "utf8"));
const url = expected.url;
let checks = 0;

async function predict(entries, payload) {
  const form = new FormData();
  form.append("entries", JSON.stringify(entries));
  if (payload.image) form.append("image", new Blob([payload.image]));
  if (payload.text !== undefined) form.append("text", payload.text);
  const res = await fetch(new URL("/predict", url), { method: "POST", body: form });
  const body = await res.text();
  return { status: res.status, type: res.headers.get("content-type"), body };
}

function cosine(a, b) {
  assert.equal(a.length, b.length);
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return dot / Math.sqrt(na * nb);
}

// The answer's `clip`: a JSON string holding an array of numbers, as immich stores it.
function clipVector(answer, length) {
  assert.equal(typeof answer.clip, "string", "clip is a string");
  const vector = JSON.parse(answer.clip);
  assert.ok(Array.isArray(vector) && vector.length === length, `clip holds ${length} numbers`);
  assert.ok(vector.every((x) => typeof x === "number" && Number.isFinite(x)));
  return vector;
}

async function checkVisual(model, path, want, images) {
  const { status, type, body } = await predict({ clip: { visual: { modelName: model } } }, { image: images.get(path) });
  assert.equal(status, 200, `${model} ${path}: ${body}`);
  assert.match(type, /application\/json/);
  const answer = JSON.parse(body);
  assert.deepEqual(Object.keys(answer).sort(), ["clip", "imageHeight", "imageWidth"]);
  assert.equal(answer.imageWidth, want.width);
  assert.equal(answer.imageHeight, want.height);
  const similarity = cosine(clipVector(answer, want.embedding.length), want.embedding);
  assert.ok(similarity >= 0.9999, `${model} ${path}: cosine ${similarity}`);
  checks++;
}

async function checkTextual(model, text, scores, images) {
  const entries = { clip: { textual: { modelName: model, options: { language: "en" } } } };
  const { status, body } = await predict(entries, { text });
  assert.equal(status, 200, `${model} "${text}": ${body}`);
  const answer = JSON.parse(body);
  assert.deepEqual(Object.keys(answer), ["clip"]);
  const first = Object.values(images)[0].embedding;
  const vector = clipVector(answer, first.length);
  // photon search's score of each image is the cosine of its embedding with the text's.
  for (const [path, score] of Object.entries(scores)) {
    const got = cosine(vector, images[path].embedding);
    assert.ok(Math.abs(got - score) < 1e-3, `${model} "${text}" ${path}: ${got} vs photon search ${score}`);
    checks++;
  }
}

async function checkRefused(entries, task, image) {
  const { status, type, body } = await predict(entries, { image });
  assert.equal(status, 422, body);
  assert.match(type, /application\/json/);
  const answer = JSON.parse(body);
  assert.equal(answer.task, task);
  assert.match(answer.detail, /not supported by this server/);
  checks++;
}

const bytes = new Map();
for (const model of expected.models) {
  for (const path of Object.keys(model.images)) {
    if (!bytes.has(path)) bytes.set(path, await readFile(path));
  }
}

// Health as immich's server checks it.
const ping = await fetch(new URL("/ping", url));
assert.equal(await ping.text(), "pong");
assert.match(ping.headers.get("content-type"), /text\/plain/);
assert.deepEqual(await (await fetch(url)).json(), { message: "Immich ML" });

for (const model of expected.models) {
  for (const [path, want] of Object.entries(model.images)) await checkVisual(model.name, path, want, bytes);
  for (const [text, scores] of Object.entries(model.texts ?? {})) await checkTextual(model.name, text, scores, model.images);
}

// immich's face request, as its server sends it, against `photon process --face-model`'s
// records: the faces at or above minScore, boxes rounded to whole pixels, vectors as strings.
async function checkFaces(model, path, want, minScore) {
  const entries = {
    "facial-recognition": { detection: { modelName: model, options: { minScore } }, recognition: { modelName: model } },
  };
  const { status, body } = await predict(entries, { image: await readFile(path) });
  assert.equal(status, 200, `${model} ${path}: ${body}`);
  const answer = JSON.parse(body);
  assert.deepEqual(Object.keys(answer).sort(), ["facial-recognition", "imageHeight", "imageWidth"]);
  assert.equal(answer.imageWidth, want.width);
  assert.equal(answer.imageHeight, want.height);
  // Scores within EDGE of the threshold may fall either side of it between two runs with other
  // thread counts: those faces are left out of the comparison.
  const EDGE = 1e-3;
  assert.ok(answer["facial-recognition"].every((f) => f.score >= minScore), `${path}: below minScore`);
  const faces = want.faces.filter((f) => f.score >= minScore + EDGE);
  const got = answer["facial-recognition"].filter((f) => f.score >= minScore + EDGE);
  assert.equal(got.length, faces.length, `${path} at ${minScore}`);
  got.forEach((face, i) => {
    const b = face.boundingBox;
    [b.x1, b.y1, b.x2, b.y2].forEach((v, k) => {
      assert.ok(Number.isInteger(v), `${path}: box values are whole pixels`);
      assert.ok(Math.abs(v - faces[i].box[k]) <= 0.5 + 1e-3, `${path}: ${v} vs ${faces[i].box[k]}`);
    });
    assert.ok(Math.abs(face.score - faces[i].score) < 1e-4, `${path}: score`);
    assert.equal(typeof face.embedding, "string", "the embedding is a string");
    const similarity = cosine(JSON.parse(face.embedding), faces[i].embedding);
    assert.ok(similarity >= 0.9999, `${path}: face cosine ${similarity}`);
  });
  checks++;
}

for (const [path, want] of Object.entries(expected.faces.images)) {
  for (const minScore of [0.7, 0.9]) await checkFaces(expected.faces.name, path, want, minScore);
}

const anyImage = bytes.values().next().value;
await checkRefused(
  { ocr: { detection: { modelName: "PP-OCRv5_mobile", options: { minScore: 0.5, maxResolution: 736 } }, recognition: { modelName: "PP-OCRv5_mobile", options: { minScore: 0.8 } } } },
  "ocr", anyImage);

// Many clients at once, each sending every image of one model: every answer right.
const model = expected.models[0];
const jobs = Object.entries(model.images);
const started = Date.now();
await Promise.all(Array.from({ length: expected.concurrency }, async (_, client) => {
  for (let i = 0; i < jobs.length; i++) {
    const [path, want] = jobs[(client + i) % jobs.length];
    await checkVisual(model.name, path, want, bytes);
  }
}));
const seconds = (Date.now() - started) / 1000;
const metrics = await (await fetch(new URL("/metrics", url))).text();
const value = (name) => Number(metrics.split("\n").find((l) => l.startsWith(name)).split(" ").pop());
const images = value('photon_batch_size_sum{tower="visual"}');
const calls = value('photon_batch_size_count{tower="visual"}');
assert.ok(images > calls, `no model call held more than one image (${images} images in ${calls} calls)`);
console.log(JSON.stringify({ checks, concurrent_requests: expected.concurrency * jobs.length, seconds, images, calls }));
