import { testStack } from '../support/stack';
import { eventually } from '../support/kube';

interface PromVector {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

const query = async (q: string): Promise<PromVector> => {
  const res = await fetch(`${testStack().prometheus.url}/api/v1/query?query=${encodeURIComponent(q)}`);
  expect(res.status).toBe(200);
  return (await res.json()) as PromVector;
};

describe('Prometheus and Alertmanager of the stack', () => {
  it.each(['prometheus', 'alertmanager', 'temporal'])('reports the %s target up', async (job) => {
    const result = await eventually(`${job} target up`, async () => {
      const r = await query(`up{job="${job}"}`);
      return r.data.result.length > 0 && r.data.result[0]!.value[1] === '1' ? r : undefined;
    });
    expect(result.status).toBe('success');
    expect(result.data.result[0]!.metric.job).toBe(job);
  });

  it('sends alerts to the Alertmanager it runs', async () => {
    const res = await fetch(`${testStack().prometheus.url}/api/v1/alertmanagers`);
    const body = (await res.json()) as { data: { activeAlertmanagers: { url: string }[] } };
    const amHost = new URL(testStack().alertmanager.url).host;
    expect(body.data.activeAlertmanagers.map((a) => new URL(a.url).host)).toContain(amHost);
  });
});
