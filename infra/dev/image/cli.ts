/** `npm run stack:image -- [--repo R] [--tag T] [--unsigned]`: push and sign an image on the stack's registry. */
import { DEFAULT_STACK } from '../stack/stack';
import { readState } from '../stack/state';
import { publishImage } from './publish';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const state = readState(opt('--name', DEFAULT_STACK));
if (!state) {
  console.error('stack:image: the stack is not up (npm run stack:up)');
  process.exit(1);
}
publishImage(state, {
  repository: opt('--repo', 'autoglm/model-server'),
  tag: opt('--tag', 'v1'),
  sign: args.includes('--unsigned') ? [] : ['legacy', 'bundle'],
}).then(
  (image) => console.log(JSON.stringify(image)),
  (err: Error) => {
    console.error(`stack:image: ${err.message}`);
    process.exit(1);
  },
);
