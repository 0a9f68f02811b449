// `shiren check --duilian`, POST /api/check with a "duilian" pair and the library's checkDuilian
// answer alike: the JSON of src/poetry/duilian.ts, exit 0 on a pass and 3 on faults.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { test } from 'node:test';
import { shiren, tinyModel } from './cli-helpers.ts';
import { buildApp } from '../src/server/app.ts';
import { checkDuilian } from '../src/index.ts';

test('shiren check --duilian: the report, --json, exit codes 0, 3 and 2', () => {
  const pass = shiren(['check', '--duilian', '海阔凭鱼跃', '天高任鸟飞']);
  assert.equal(pass.code, 0, pass.stderr);
  assert.match(pass.stdout, /^海阔凭鱼跃 \/ 天高任鸟飞\n  对联 · pass\n  海阔凭鱼跃\n  仄仄中平仄\n  天高任鸟飞\n  平平中仄平\n$/);
  const faults = shiren(['check', '--duilian', '海阔凭鱼跃', '天远任鸟飞', '天高任鸟飞', '海阔凭鱼跃']);
  assert.equal(faults.code, 3);
  assert.match(faults.stdout, /✗ 下联 char 2 \(远\) 平仄 \[tone\]: 远 is 仄 like 阔 above/);
  assert.match(faults.stdout, /✗ 上联 char 5 \(飞\) 仄起平收 \[end\]: the 上联 ends in 平/);
  const json = shiren(['check', '--duilian', '--json', '海阔凭鱼跃', '天远任鸟飞']);
  assert.equal(json.code, 3);
  assert.deepEqual(JSON.parse(json.stdout), { pairs: [checkDuilian('海阔凭鱼跃', '天远任鸟飞')] });
  for (const args of [['海阔凭鱼跃'], ['海阔凭鱼跃', '天高任鸟飞', '--form', 'wulv']]) {
    const bad = shiren(['check', '--duilian', ...args]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^shiren: --duilian .*\n$/);
  }
});

test('POST /api/check with "duilian" answers as check --duilian --json, beside poems or alone', async () => {
  const { model, file, dir } = tinyModel();
  const app = await buildApp({ model, modelBytes: readFileSync(file) });
  try {
    const post = async (payload: unknown) => {
      const r = await app.inject({ method: 'POST', url: '/api/check', payload: payload as object });
      return { status: r.statusCode, body: r.json() };
    };
    const alone = await post({ duilian: ['海阔凭鱼跃', '天远任鸟飞'] });
    assert.equal(alone.status, 200);
    assert.deepEqual(alone.body, JSON.parse(shiren(['check', '--duilian', '--json', '海阔凭鱼跃', '天远任鸟飞']).stdout));
    const both = await post({ texts: ['床前明月光，疑是地上霜。'], duilian: ['海阔凭鱼跃', '天高任鸟飞'], rhymeBook: 'xinyun' });
    assert.equal(both.status, 200);
    assert.deepEqual(Object.keys(both.body), ['poems', 'pairs']);
    assert.equal(both.body.pairs[0].pass, true);
    for (const body of [{}, { duilian: ['海阔凭鱼跃'] }, { duilian: ['a', 'b', 'c'] }, { duilian: '海阔凭鱼跃 天高任鸟飞' }]) {
      const r = await post(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(typeof r.body.error, 'string');
    }
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
