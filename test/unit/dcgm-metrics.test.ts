import { dcgmText, GpuAllocator, gpuUuid } from '../../infra/dev/model-world/dcgm-metrics';

// The dcgm-exporter stand-in's exposition: dcgm-exporter's metric names and label set, the pod
// holding each GPU as pod-resources would say, and GPUs kept by a pod while it lives.
const node = { name: 'gpu-a100-0', product: 'NVIDIA-A100-SXM4-80GB', memoryMiB: 81920, count: 2 };

describe('dcgm-exporter stand-in', () => {
  it('labels each GPU as dcgm-exporter does, with namespace/pod/container only where a pod holds it', () => {
    const text = dcgmText(node, [
      { gpu: 1, namespace: 'ml', pod: 'llm-abc-1', container: 'model-server', memoryShare: 0.5, utilization: 40 },
    ]);
    const uuid1 = gpuUuid('gpu-a100-0', 1);
    expect(uuid1).toMatch(/^GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(text).toContain('# TYPE DCGM_FI_DEV_FB_USED gauge');
    expect(text).toContain(
      `DCGM_FI_DEV_FB_USED{gpu="1",UUID="${uuid1}",pci_bus_id="00000000:20:00.0",device="nvidia1",modelName="NVIDIA A100-SXM4-80GB",Hostname="gpu-a100-0",container="model-server",namespace="ml",pod="llm-abc-1"} 40960`,
    );
    expect(text).toMatch(/DCGM_FI_DEV_FB_FREE\{gpu="1",[^}]*pod="llm-abc-1"\} 40960/);
    expect(text).toMatch(/DCGM_FI_DEV_GPU_UTIL\{gpu="1",[^}]*\} 40/);
    expect(text).toMatch(/DCGM_FI_DEV_FB_USED\{gpu="0",[^}]*Hostname="gpu-a100-0"\} 0/);
    expect(text).not.toMatch(/gpu="0"[^}]*pod=/);
  });

  it('gives new pods the lowest free GPUs and keeps them while the pod lives', () => {
    const a = new GpuAllocator();
    expect([...a.assign(8, [{ key: 'p1', gpus: 4 }])]).toEqual([['p1', [0, 1, 2, 3]]]);
    expect(
      a
        .assign(8, [
          { key: 'p1', gpus: 4 },
          { key: 'p2', gpus: 4 },
        ])
        .get('p2'),
    ).toEqual([4, 5, 6, 7]);
    expect(
      a
        .assign(8, [
          { key: 'p2', gpus: 4 },
          { key: 'p3', gpus: 2 },
        ])
        .get('p3'),
    ).toEqual([0, 1]);
    expect(
      a
        .assign(8, [
          { key: 'p2', gpus: 4 },
          { key: 'p3', gpus: 2 },
          { key: 'p4', gpus: 4 },
        ])
        .has('p4'),
    ).toBe(false); // no room
  });
});
