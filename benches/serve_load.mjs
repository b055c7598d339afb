// Load for `photon serve`: CLIENTS clients at once, each sending immich's visual request for the
// next image of DIR until all are sent. Prints {clients, images, seconds, images_per_second,
// p50_ms, p99_ms, errors} as one JSON line.
//
//   node benches/serve_load.mjs URL MODEL DIR CLIENTS
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

const [url, model, dir, clients] = process.argv.slice(2);
const names = (await readdir(dir)).sort();
const images = await Promise.all(names.map((n) => readFile(join(dir, n))));
const entries = JSON.stringify({ clip: { visual: { modelName: model } } });
const latencies = [];
let next = 0;
let errors = 0;

async function client() {
  while (next < images.length) {
    const image = images[next++];
    const form = new FormData();
    form.append("entries", entries);
    form.append("image", new Blob([image]));
    const sent = performance.now();
    const res = await fetch(new URL("/predict", url), { method: "POST", body: form });
    await res.arrayBuffer();
    latencies.push(performance.now() - sent);
    if (res.status !== 200) errors++;
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: Number(clients) }, client));
const seconds = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
console.log(JSON.stringify({
  clients: Number(clients), images: images.length, seconds: +seconds.toFixed(2),
  images_per_second: +(images.length / seconds).toFixed(2),
  p50_ms: +at(0.5).toFixed(1), p99_ms: +at(0.99).toFixed(1), errors,
}));
