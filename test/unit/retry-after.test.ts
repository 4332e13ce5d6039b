import { retryAfterWaitMs } from '../../core/retry-after';

describe('retrying a Kubernetes API answer that asks for it (as client-go does)', () => {
  it.each`
    status | header       | retries | wait         | why
    ${429} | ${'2'}       | ${0}    | ${2_000}     | ${'throttled: as the header says'}
    ${429} | ${undefined} | ${0}    | ${1_000}     | ${'throttled without a header: a second'}
    ${429} | ${'120'}     | ${0}    | ${10_000}    | ${'a long wait is capped'}
    ${429} | ${'1'}       | ${5}    | ${undefined} | ${'five retries at most'}
    ${503} | ${'1'}       | ${0}    | ${1_000}     | ${'unavailable, said to retry'}
    ${500} | ${'3'}       | ${2}    | ${3_000}     | ${'a 5xx with the header'}
    ${500} | ${undefined} | ${0}    | ${undefined} | ${'a 5xx without it is the caller’s'}
    ${503} | ${'soon'}    | ${0}    | ${undefined} | ${'a header that is no number of seconds'}
    ${409} | ${'1'}       | ${0}    | ${undefined} | ${'a conflict is the caller’s'}
    ${404} | ${undefined} | ${0}    | ${undefined} | ${'not found is an answer'}
    ${200} | ${'1'}       | ${0}    | ${undefined} | ${'success'}
  `('$status, Retry-After $header, $retries retries so far → $wait ($why)', ({ status, header, retries, wait }) => {
    expect(retryAfterWaitMs(status, header, retries)).toBe(wait);
  });
});
