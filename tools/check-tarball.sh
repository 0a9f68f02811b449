#!/usr/bin/env bash
# What a user gets from `npm install shiren`, checked on the packed tarball (.ci/run calls this
# after `npm test`): packs the package (`npm pack` runs `prepare`: wasm, dist/, the page), checks
# what the tarball holds (compiled code, types, kernels, page, model, licence; no tests or
# fixtures), installs it into an empty temporary folder with `npm install`, and from there runs
# `npx shiren --version`, `npx shiren gen 山`, `npx shiren score …`, the README's library example
# (its first ```js block importing 'shiren'; docs/library-example.mjs until it has one) and `npx shiren serve` (GET / must return the built page). The engine
# must be wasm or blas, never the reference kernels.
#   tools/check-tarball.sh [--keep]     --keep: leave the temporary folder for a look
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d "${TMPDIR:-/tmp}/shiren-tarball.XXXXXX")
server=
keep=${1:-}
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
  if [ "$keep" = --keep ]; then echo "check-tarball: left $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() { echo "check-tarball: $*" >&2; exit 1; }
step() { echo "check-tarball: $*"; }

step "npm pack"
tgz=$(npm pack --silent --pack-destination "$work" | tail -n 1)
tgz="$work/$tgz"
[ -f "$tgz" ] || fail "npm pack made no tarball"
listing=$(tar -tzf "$tgz")
for need in package/dist/index.js package/dist/index.d.ts package/dist/browser.js package/dist/browser.d.ts \
  package/dist/cli/main.js package/bin/shiren.js package/build/kernels-simd.wasm package/build/kernels-relaxed.wasm \
  package/build/kernels-scalar.wasm package/web/dist/index.html package/models/shiren-gru.safetensors \
  package/README.md package/LICENSE; do
  grep -qx "$need" <<<"$listing" || fail "the tarball lacks ${need#package/}"
done
if grep -E '^package/(test|src|assembly|tools|data|runs)/|\.test\.|fixtures|\.map$' <<<"$listing"; then
  fail "the tarball holds sources, tests or fixtures (above)"
fi
step "$(basename "$tgz"): $(wc -l <<<"$listing") files, $(du -k "$tgz" | cut -f1) KiB"

step "npm install into an empty folder"
app="$work/app"
mkdir "$app" && cd "$app"
echo '{ "name": "shiren-tarball-check", "version": "1.0.0", "private": true, "type": "module" }' > package.json
npm install --silent --no-audit --no-fund "$tgz"
for dev in tsx typescript assemblyscript vite; do
  if [ -d "node_modules/$dev" ]; then fail "installing shiren pulled in $dev (a dev dependency)"; fi
done

step "npx shiren --version"
[ "$(npx --no-install shiren --version)" = "$(node -p "require('$root/package.json').version")" ] || fail "wrong version"

engine_ok() { grep -Eq "engine (blas|wasm)" <<<"$1" || fail "$2 did not run on the wasm or blas engine: $1"; }

step "npx shiren gen 山"
out=$(npx --no-install shiren gen 山 --seed 1 2>"$work/gen.err") || fail "gen failed: $(cat "$work/gen.err")"
engine_ok "$(cat "$work/gen.err")" gen
[ "$(grep -c . <<<"$out")" -ge 4 ] || fail "gen wrote no poem: $out"
echo "$out" | head -4

step "npx shiren score"
out=$(npx --no-install shiren score 床前明月光，疑是地上霜。举头望明月，低头思故乡。 2>"$work/score.err") \
  || fail "score failed: $(cat "$work/score.err")"
engine_ok "$(cat "$work/score.err")" score
ppl=$(grep -oE 'perplexity [0-9.]+' <<<"$out" | cut -d' ' -f2)
node -e "process.exit(+process.argv[1] > 1 && +process.argv[1] < 1000 ? 0 : 1)" "${ppl:-0}" || fail "score gave no sensible perplexity: $out"
echo "$out"

step "the README's library example"
# the README's first ```js block that imports 'shiren', else docs/library-example.mjs
node -e "
  const readme = require('node:fs').readFileSync(process.argv[1], 'utf8');
  const block = [...readme.matchAll(/\`\`\`(?:js|javascript|mjs)\n([\s\S]*?)\`\`\`/g)].map((m) => m[1]).find((b) => /from 'shiren'/.test(b));
  require('node:fs').writeFileSync('example.mjs', block ?? require('node:fs').readFileSync(process.argv[2], 'utf8'));
  console.log(block ? '(from README.md)' : '(README.md has none yet: docs/library-example.mjs)');
" "$root/README.md" "$root/docs/library-example.mjs"
node example.mjs
node --input-type=module -e "
  import { loadModel } from 'shiren';
  const model = await loadModel();
  console.log('library engine:', model.kernels.name);
  if (!/^(blas|wasm)/.test(model.kernels.name)) process.exit(1);
" || fail "the library did not open the bundled model on the wasm or blas engine"
node --input-type=module -e "import * as b from 'shiren/browser'; if (typeof b.loadModel !== 'function') process.exit(1);" \
  || fail "shiren/browser does not export loadModel"

step "npx shiren serve"
npx --no-install shiren serve --port 0 >"$work/serve.out" 2>"$work/serve.err" &
server=$!
url=
for _ in $(seq 100); do
  url=$(grep -oE 'listening on http://[^ ]+' "$work/serve.out" | cut -d' ' -f3 || true)
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || fail "serve exited: $(cat "$work/serve.err")"
  sleep 0.2
done
[ -n "$url" ] || fail "serve did not start: $(cat "$work/serve.err")"
node -e "
  const [url, file] = process.argv.slice(1);
  const page = require('node:fs').readFileSync(file, 'utf8');
  fetch(url).then(async (res) => {
    const body = await res.text();
    if (res.status !== 200 || body !== page) { console.error('GET / answered', res.status, body.slice(0, 300)); process.exit(1); }
  });
" "$url/" node_modules/shiren/web/dist/index.html || fail "GET / is not the built page (web/dist/index.html)"
step "GET $url/ returns web/dist/index.html"
kill "$server"; wait "$server" 2>/dev/null || true; server=
step "ok"
