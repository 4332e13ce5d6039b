import { ConfigError, loadWorkerConfig } from '../../worker/config';

describe('worker configuration', () => {
  it('has defaults for everything', () => {
    expect(loadWorkerConfig({}, {})).toEqual({
      temporalAddress: '127.0.0.1:7233',
      namespace: 'default',
      taskQueue: 'autoglm-deploy',
      shutdownGraceMs: 30_000,
      logLevel: 'INFO',
      insecureRegistries: [],
      serviceUrl: 'http://{service}.{namespace}.svc:{port}',
      githubApiUrl: 'https://api.github.com',
      backupPreviousKeys: '',
      payloadPreviousKeys: '',
      deploymentName: 'autoglm-deploy',
      s3Region: 'us-east-1',
    });
  });

  it('takes S3 keys as a pair, from AWS_* variables as the SDK would', () => {
    const env = {
      AUTOGLM_S3_ENDPOINT: 'http://127.0.0.1:8333',
      AWS_ACCESS_KEY_ID: 'AK',
      AWS_SECRET_ACCESS_KEY: 'sk',
      AWS_REGION: 'eu-west-1',
    };
    expect(loadWorkerConfig({}, env)).toMatchObject({ s3Endpoint: 'http://127.0.0.1:8333', s3AccessKeyId: 'AK', s3Region: 'eu-west-1' });
    expect(() => loadWorkerConfig({}, { AWS_ACCESS_KEY_ID: 'AK' })).toThrow(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together/);
  });

  it('reads the environment, and flags win over it', () => {
    const env = { TEMPORAL_ADDRESS: 'temporal:7233', AUTOGLM_TASK_QUEUE: 'from-env', AUTOGLM_SHUTDOWN_GRACE: '2m', KUBECONFIG: '/k' };
    const config = loadWorkerConfig({ taskQueue: 'from-flag' }, env);
    expect(config).toMatchObject({ temporalAddress: 'temporal:7233', taskQueue: 'from-flag', shutdownGraceMs: 120_000, kubeconfig: '/k' });
  });

  it('takes GitHub App credentials as a pair, the installation as a number', () => {
    const env = { GITHUB_APP_ID: '42', GITHUB_APP_PRIVATE_KEY: '-----BEGIN RSA PRIVATE KEY-----\n…', GITHUB_APP_INSTALLATION_ID: '777' };
    expect(loadWorkerConfig({}, env)).toMatchObject({ githubAppId: '42', githubAppInstallationId: 777 });
  });

  it('joins a Worker Deployment when given a build id', () => {
    expect(loadWorkerConfig({}, { AUTOGLM_BUILD_ID: '0.2.0' })).toMatchObject({ buildId: '0.2.0', deploymentName: 'autoglm-deploy' });
    expect(loadWorkerConfig({ deploymentName: 'llm-platform' }, {}).buildId).toBeUndefined();
  });

  it('takes concurrency limits (activity and workflow task slots, sticky cache), refusing what the SDK would', () => {
    expect(loadWorkerConfig({ maxActivities: '300' }, { AUTOGLM_MAX_WORKFLOW_TASKS: '20', AUTOGLM_STICKY_CACHE_SIZE: '0' })).toMatchObject({
      maxActivities: 300,
      maxWorkflowTasks: 20,
      stickyCacheSize: 0,
    });
    expect(() => loadWorkerConfig({}, { AUTOGLM_MAX_WORKFLOW_TASKS: '1' })).toThrow(/maxWorkflowTasks: at least 2/);
    expect(() => loadWorkerConfig({}, { AUTOGLM_MAX_ACTIVITIES: 'lots' })).toThrow(/maxActivities/);
  });

  it('treats an empty variable as unset', () => {
    expect(loadWorkerConfig({}, { KUBECONFIG: '' }).kubeconfig).toBeUndefined();
  });

  it.each`
    input                                                           | field
    ${{ temporalAddress: 'no-port' }}                               | ${'temporalAddress'}
    ${{ shutdownGraceMs: 'soon' }}                                  | ${'shutdownGraceMs'}
    ${{ logLevel: 'LOUD' }}                                         | ${'logLevel'}
    ${{ githubAppId: '42' }}                                        | ${'githubAppId'}
    ${{ githubAppId: 'my-app', githubAppPrivateKeyFile: '/k.pem' }} | ${'githubAppId'}
    ${{ githubAppPrivateKey: 'hunter2' }}                           | ${'githubAppPrivateKey'}
    ${{ temporalTlsCert: '/tls/c.pem' }}                            | ${'temporalTlsCert'}
    ${{ temporalTlsKey: '/tls/k.pem' }}                             | ${'temporalTlsCert'}
    ${{ temporalTls: 'yes' }}                                       | ${'temporalTls'}
  `('refuses $input naming $field', ({ input, field }) => {
    expect(() => loadWorkerConfig(input, {})).toThrow(ConfigError);
    expect(() => loadWorkerConfig(input, {})).toThrow(new RegExp(`${field}:`));
  });
});
