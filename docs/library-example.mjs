// shiren as a library, the example of the README's "Library" section (tools/check-tarball.sh
// runs it against the packed tarball): the bundled model, a poem, a score.
import { loadModel, generate, score } from 'shiren';

const model = await loadModel(); // the bundled model, on the fastest engine here
const [poem] = await generate(model, { start: '山', form: 'qijue', seed: 1 });
console.log(poem.lines.join('\n'));
const [s] = await score(model, ['床前明月光，疑是地上霜。举头望明月，低头思故乡。']);
console.log(`perplexity ${s.perplexity.toFixed(1)} over ${s.tokens} characters`);
