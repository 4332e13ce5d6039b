import { readState, stackEnv, type StackState } from '../../infra/dev/stack/state';

/** The stack the integration tests run on; the global setup brings it up. */
export const TEST_STACK = process.env.AUTOGLM_TEST_STACK ?? 'test';

export function testStack(): StackState &
  Required<Pick<StackState, 'temporal' | 'kubernetes' | 'prometheus' | 'alertmanager' | 'registry'>> {
  const state = readState(TEST_STACK);
  if (!state?.temporal || !state.kubernetes || !state.prometheus || !state.alertmanager || !state.registry) {
    throw new Error(`test stack "${TEST_STACK}" is not up: the jest global setup starts it`);
  }
  return state as ReturnType<typeof testStack>;
}

export const testStackEnv = () => stackEnv(testStack());
