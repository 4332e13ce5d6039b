import { ApiException } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { classifyKubeError } from '../../activities/kubernetes/errors';
import { ErrorType } from '../../core/errors';

const statusBody = (code: number, message: string) =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code });
const apiError = (code: number, body: unknown) =>
  new ApiException(code, `HTTP-Code: ${code}\nMessage: Unknown API Status Code!\nBody: …`, body, {});

describe('classifyKubeError', () => {
  it.each([
    {
      name: 'a full Service IP range says so, and is retried',
      err: apiError(500, statusBody(500, 'Internal error occurred: failed to allocate a serviceIP: range is full')),
      retryable: true,
      type: ErrorType.KubernetesUnavailable,
      message: 'applying Service ns/llm: HTTP 500: Internal error occurred: failed to allocate a serviceIP: range is full',
    },
    {
      name: 'a terminating namespace is forbidden, not retried',
      err: apiError(
        403,
        statusBody(403, 'services "llm" is forbidden: unable to create new content in namespace ns because it is being terminated'),
      ),
      retryable: false,
      type: ErrorType.KubernetesForbidden,
      message:
        'applying Service ns/llm: forbidden (403): HTTP 403: services "llm" is forbidden: unable to create new content in namespace ns because it is being terminated',
    },
    {
      name: "an invalid object is rejected with the server's reason",
      err: apiError(422, statusBody(422, 'Service "llm" is invalid: spec.ports: Required value')),
      retryable: false,
      type: ErrorType.InvalidInput,
      message: 'applying Service ns/llm: rejected (422): HTTP 422: Service "llm" is invalid: spec.ports: Required value',
    },
    {
      name: "a body that is not a Status keeps the client's first line",
      err: apiError(502, '<html>bad gateway</html>'),
      retryable: true,
      type: ErrorType.KubernetesUnavailable,
      message: 'applying Service ns/llm: HTTP-Code: 502',
    },
    {
      name: 'no answer at all keeps the network error',
      err: new Error('connect ECONNREFUSED 127.0.0.1:6443'),
      retryable: true,
      type: ErrorType.KubernetesUnavailable,
      message: 'applying Service ns/llm: connect ECONNREFUSED 127.0.0.1:6443',
    },
  ])('$name', ({ err, retryable, type, message }) => {
    const failure = classifyKubeError(err, 'applying Service ns/llm') as ApplicationFailure;
    expect(failure.message).toBe(message);
    expect(failure.type).toBe(type);
    expect(failure.nonRetryable).toBe(!retryable);
  });
});
