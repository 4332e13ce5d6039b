import { parseImageRef, pinnedReference } from '../../core/image-ref';

const D = `sha256:${'c'.repeat(64)}`;
describe('parseImageRef', () => {
  it.each`
    ref                                   | expected
    ${`127.0.0.1:5000/autoglm/server:v1`} | ${{ registry: '127.0.0.1:5000', repository: 'autoglm/server', tag: 'v1' }}
    ${`registry.example/a/b/c@${D}`}      | ${{ registry: 'registry.example', repository: 'a/b/c', digest: D }}
    ${`localhost/m:latest@${D}`}          | ${{ registry: 'localhost', repository: 'm', tag: 'latest', digest: D }}
    ${`ghcr.io/org/model-server`}         | ${{ registry: 'ghcr.io', repository: 'org/model-server' }}
  `('$ref', ({ ref, expected }) => expect(parseImageRef(ref)).toEqual(expected));

  it.each(['server:v1', 'library/ubuntu:22.04', `r.io/m@sha256:short`, 'r.io/UPPER/case', 'r.io/m:bad tag'])('refuses %s', (ref) => {
    expect(parseImageRef(ref)).toBeUndefined();
  });

  it('pins a reference to a digest', () => {
    expect(pinnedReference(parseImageRef('r.io/a/b:v1')!, D)).toBe(`r.io/a/b@${D}`);
  });
});
